"""ImageViewer: a QGraphicsView for one radiograph with a heatmap overlay.

Mouse: wheel zooms around the cursor, left-drag pans, right-drag changes brightness/contrast
(window/level: horizontal = width, vertical = level), double-click fits. The 8-bit picture goes
through a 256-entry lookup table (window/level and invert cost one lookup per pixel); zoomed
out, a box-filtered smaller copy is shown (sharp, cheap to repaint at 4000 x 4000). Everything
on the picture is a child of ``image_frame``, so ``set_orientation`` turns and flips the image,
heatmap and measurements together; ``set_color`` shows a colour picture in colour. Presets,
rotation and measuring are commanded by ``viewer_tools``.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QMouseEvent,
    QPainter,
    QPixmap,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from cxr_desktop.i18n import _
from cxr_desktop.ui.colormap import DEFAULT_CENTER, DEFAULT_WIDTH, window_level_lut
from cxr_desktop.ui.viewer_pixels import gray_qimage, heat_pixmap, reduce_like, rgb_qimage

MIN_SCALE = 0.02
MAX_SCALE = 32.0
ZOOM_STEP = 1.25
INTERACTIVE_MAX_PIXELS = 4_000_000


class ImageViewer(QGraphicsView):
    zoomChanged = Signal(float)
    windowLevelChanged = Signal(float, float)  # centre, width
    imageChanged = Signal()  # another picture (not the same one at a higher resolution)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QBrush(QColor(16, 16, 16)))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(False)  # drops go to the main window
        self.viewport().setAcceptDrops(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Everything drawn on the picture (image, heatmap, measurements) is a child of one frame
        # in image pixel coordinates; rotating or flipping the frame turns all of it.
        self.image_frame = QGraphicsRectItem()
        self.image_frame.setPen(Qt.PenStyle.NoPen)
        self._image_item = QGraphicsPixmapItem(self.image_frame)
        self._image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._heat_item = QGraphicsPixmapItem(self.image_frame)
        self._heat_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._heat_item.setZValue(1)
        self._heat_item.setOpacity(0.5)
        self.scene().addItem(self.image_frame)
        self._rotation = 0  # quarter turns clockwise
        self._flips = (False, False)  # left-right, top-bottom
        self._rgb_levels: dict[int, np.ndarray] = {}  # a colour picture's pyramid (else empty)
        self._upgrading = False
        self.placeholder = _("Open a chest X-ray (Ctrl+O)\nor drop an image file or a folder here")

        self._display: np.ndarray | None = None
        self._levels: dict[int, np.ndarray] = {}
        self._level = 1
        self._shown: np.ndarray | None = None  # keeps the buffer behind the current QImage alive
        self._center = DEFAULT_CENTER
        self._width = DEFAULT_WIDTH
        self._inverted = False
        self._heat_wanted = True
        self._heat_source: np.ndarray | None = None
        self._has_heat = False
        self._fit_mode = True
        self._wl_drag: tuple[QPoint, float, float] | None = None
        self._wl_timer = QTimer(self)
        self._wl_timer.setSingleShot(True)
        self._wl_timer.setInterval(30)
        self._wl_timer.timeout.connect(lambda: self._refresh_pixmap(interactive=True))

    # ----------------------------------------------------------------- content
    @property
    def has_image(self) -> bool:
        return self._display is not None

    @property
    def image_size(self) -> tuple[int, int]:
        if self._display is None:
            return (0, 0)
        return (int(self._display.shape[1]), int(self._display.shape[0]))

    def set_image(self, display: np.ndarray, heatmap: np.ndarray | None = None) -> None:
        """Show a 2-D uint8 image (and optionally its heatmap); keeps window/level and invert."""
        if display.ndim != 2 or display.dtype != np.uint8:
            raise ValueError("the viewer shows 2-D uint8 images")
        self._display = np.ascontiguousarray(display)
        self._levels = {1: self._display}
        self._rgb_levels = {}
        self._level = 0  # force a refresh
        self._place_frame()
        self._update_level(force=True)
        self.set_heatmap(heatmap)
        self.fit()
        if not self._upgrading:
            self.imageChanged.emit()

    def upgrade_image(self, display: np.ndarray) -> None:
        """The same picture at a higher resolution (the full image after the model's reduced
        one): the heatmap, window/level and the fit-to-window state are kept."""
        heat, fit, self._upgrading = self._heat_source, self._fit_mode, True
        try:
            self.set_image(display, heat)
        finally:
            self._upgrading = False
        if not fit:
            self._fit_mode = False

    def set_color(self, rgb: np.ndarray | None) -> None:
        """Show the picture on screen in these colours ((h, w, 3) uint8, the display's shape);
        None: grey again. Brightness/contrast and invert apply to each channel."""
        fits = rgb is not None and self._display is not None and rgb.ndim == 3 \
            and rgb.shape[:2] == self._display.shape and rgb.dtype == np.uint8
        self._rgb_levels = {1: np.ascontiguousarray(rgb[..., :3])} if fits else {}
        self._refresh_pixmap()

    @property
    def shows_color(self) -> bool:
        return bool(self._rgb_levels)

    # ------------------------------------------------------------- orientation
    @property
    def orientation(self) -> tuple[int, bool, bool]:
        """(quarter turns clockwise, flipped left-right, flipped top-bottom)."""
        return (self._rotation, *self._flips)

    def set_orientation(self, quarter_turns: int, flip_lr: bool = False,
                        flip_tb: bool = False) -> None:
        self._rotation = int(quarter_turns) % 4
        self._flips = (bool(flip_lr), bool(flip_tb))
        self._place_frame()
        if self._fit_mode:
            self.fit()

    def _place_frame(self) -> None:
        """Rotate/flip the frame about the image centre; the scene is the turned image's box."""
        w, h = self.image_size
        self.image_frame.setRect(QRectF(0, 0, w, h))
        turn = QTransform().translate(w / 2, h / 2)
        turn.rotate(90 * self._rotation)
        turn.scale(-1 if self._flips[0] else 1, -1 if self._flips[1] else 1)
        turn.translate(-w / 2, -h / 2)
        self.image_frame.setTransform(turn)
        self.scene().setSceneRect(self.image_frame.mapRectToScene(QRectF(0, 0, w, h))
                                  if self._display is not None else QRectF())

    def clear(self) -> None:
        self._display = None
        self.scene().setSceneRect(QRectF())
        self._levels = {}
        self._rgb_levels = {}
        self._shown = None
        self._image_item.setPixmap(QPixmap())
        self.set_heatmap(None)
        self.viewport().update()

    def set_heatmap(self, heatmap: np.ndarray | None) -> None:
        """A uint8 map (any size; stretched over the image), 0 = no evidence, 255 = most."""
        self._heat_source = None if heatmap is None else np.asarray(heatmap, dtype=np.uint8)
        if heatmap is None or self._display is None:
            self._heat_item.setPixmap(QPixmap())
            self._has_heat = False
            self._heat_item.setVisible(False)
            return
        pixmap, scale = heat_pixmap(np.asarray(heatmap, dtype=np.uint8), self.image_size)
        self._heat_item.setPixmap(pixmap)
        self._heat_item.setTransform(QTransform.fromScale(*scale))
        self._has_heat = True
        self._heat_item.setVisible(self._heat_wanted)

    @property
    def has_heatmap(self) -> bool:
        return self._has_heat

    def set_heatmap_visible(self, visible: bool) -> None:
        self._heat_wanted = bool(visible)
        self._heat_item.setVisible(self._heat_wanted and self._has_heat)

    @property
    def heatmap_visible(self) -> bool:
        return self._heat_item.isVisible()

    def set_heatmap_opacity(self, opacity: float) -> None:
        self._heat_item.setOpacity(min(1.0, max(0.0, float(opacity))))

    @property
    def heatmap_opacity(self) -> float:
        return float(self._heat_item.opacity())

    # ----------------------------------------------------------- window/level
    @property
    def window_level(self) -> tuple[float, float]:
        return (self._center, self._width)

    @property
    def inverted(self) -> bool:
        return self._inverted

    def set_window_level(self, center: float, width: float) -> None:
        self._center = float(min(max(center, -128.0), 383.0))
        self._width = float(min(max(width, 2.0), 512.0))
        self._refresh_pixmap()
        self.windowLevelChanged.emit(self._center, self._width)

    def reset_window_level(self) -> None:
        self.set_window_level(DEFAULT_CENTER, DEFAULT_WIDTH)

    def set_inverted(self, inverted: bool) -> None:
        self._inverted = bool(inverted)
        self._refresh_pixmap()

    def lut(self) -> np.ndarray:
        return window_level_lut(self._center, self._width, self._inverted)

    def rendered_array(self) -> np.ndarray | None:
        """The grey levels currently shown (after window/level and invert), at the shown level."""
        return None if self._shown is None else self._shown.copy()

    def _refresh_pixmap(self, interactive: bool = False) -> None:
        """Apply the LUT to the shown pyramid level. ``interactive`` (while right-dragging): a
        large full-resolution image is previewed at half resolution, the full one follows on
        release, so the drag stays fluid on 4000 x 4000 images."""
        level = self._level
        source = self._levels.get(level)
        if source is None:
            return
        if interactive and level == 1 and source.size > INTERACTIVE_MAX_PIXELS:
            level = 2
            source = self._levels.get(2)
            if source is None:
                source = self._levels[2] = np.asarray(Image.fromarray(self._display).reduce(2))
        if self._rgb_levels:
            self._shown = np.ascontiguousarray(self.lut()[self._rgb_level(level)])
            self._image_item.setPixmap(QPixmap.fromImage(rgb_qimage(self._shown)))
        else:
            self._shown = np.ascontiguousarray(self.lut()[source])
            self._image_item.setPixmap(QPixmap.fromImage(gray_qimage(self._shown)))
        self._image_item.setScale(float(level))

    def _rgb_level(self, level: int) -> np.ndarray:
        if level not in self._rgb_levels:
            self._rgb_levels[level] = reduce_like(self._rgb_levels[1], self._levels[level].shape)
        return self._rgb_levels[level]

    def _update_level(self, force: bool = False) -> None:
        """Pick the pyramid level for the current zoom (box-filtered copies when zoomed out)."""
        if self._display is None:
            return
        scale = self.current_scale()
        level = 1
        while level < 16 and scale * level * 2 <= 1.0:
            level *= 2
        if level == self._level and not force:
            return
        if level not in self._levels:
            h, w = self._display.shape
            if min(h, w) // level < 16:
                level = 1
            else:
                self._levels[level] = np.asarray(Image.fromarray(self._display).reduce(level))
        self._level = level
        self._image_item.setScale(float(level))
        self._refresh_pixmap()

    # ------------------------------------------------------------------- zoom
    def current_scale(self) -> float:
        return float(self.transform().m11())

    def fit(self) -> None:
        self._fit_mode = True
        if self._display is None:
            return
        self.resetTransform()
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._zoomed()

    def actual_size(self) -> None:
        self._fit_mode = False
        self.resetTransform()
        self._zoomed()

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom by ``factor`` keeping the scene point under ``anchor`` (a viewport position;
        default: the view's centre) where it is."""
        if self._display is None:
            return
        scale = self.current_scale()
        target = min(max(scale * factor, MIN_SCALE), MAX_SCALE)
        if abs(target - scale) < 1e-9:
            return
        self._fit_mode = False
        if anchor is None:
            anchor = self.viewport().rect().center()
        before = self.mapToScene(anchor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.scale(target / scale, target / scale)
        after = self.mapToScene(anchor)
        self.translate(after.x() - before.x(), after.y() - before.y())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self._zoomed()

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1.0 / ZOOM_STEP)

    def _zoomed(self) -> None:
        self._update_level()
        self.zoomChanged.emit(self.current_scale())

    # ------------------------------------------------------------------ events
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps and self._display is not None:
            self.zoom_by(ZOOM_STEP**steps, anchor=event.position().toPoint())
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.fit()
        else:
            super().mouseDoubleClickEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.RightButton and self._display is not None:
            self._wl_drag = (event.position().toPoint(), self._center, self._width)
            self.viewport().setCursor(Qt.CursorShape.SizeAllCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._wl_drag is not None:
            start, center, width = self._wl_drag
            delta = event.position().toPoint() - start
            # Dragging right widens the window (less contrast), dragging up brightens.
            self._center = float(min(max(center + delta.y() * 0.5, -128.0), 383.0))
            self._width = float(min(max(width + delta.x() * 1.0, 2.0), 512.0))
            if not self._wl_timer.isActive():
                self._wl_timer.start()
            self.windowLevelChanged.emit(self._center, self._width)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._wl_drag is not None and event.button() == Qt.MouseButton.RightButton:
            self._wl_drag = None
            self._wl_timer.stop()
            self._refresh_pixmap()
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        super().drawForeground(painter, rect)
        if self._display is not None or not self.placeholder:
            return
        painter.save()
        painter.resetTransform()
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        painter.setFont(font)
        painter.setPen(QColor(200, 200, 200))
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
        painter.restore()

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - right button is window/level
        event.accept()
