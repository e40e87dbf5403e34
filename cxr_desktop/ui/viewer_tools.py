"""The controls staff know from DICOM viewers: brightness/contrast presets on the number keys,
brightness and contrast steps from the keyboard, rotating and flipping, and a length measurement.

Presets act on the 8-bit picture the viewer shows (bright bone, dark air), like a DICOM viewer's
window presets on a radiograph; they are not CT Hounsfield windows. A measurement is in
millimetres when the DICOM file gives PixelSpacing (at the patient) or ImagerPixelSpacing (at the
detector, said so), otherwise in pixels of the original image, labelled so. The picture on
screen may be smaller than the file's (the model's reduced copy, a stored preview): lengths are
scaled by the original width and height over the shown ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QLineF, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QMainWindow,
    QMenu,
)

from cxr_desktop.core.types import XrayImage
from cxr_desktop.i18n import _, format_number
from cxr_desktop.ui.colormap import DEFAULT_CENTER, DEFAULT_WIDTH
from cxr_desktop.ui.viewer import ImageViewer

#: (centre, width) on the 8-bit picture.
PRESETS = {
    "default": (DEFAULT_CENTER, DEFAULT_WIDTH),
    "lung": (90.0, 180.0),  # the dark range: lung fields, vessels
    "bone": (180.0, 150.0),  # the bright range: ribs, spine, clavicles
    "soft_tissue": (128.0, 120.0),  # the middle greys with more contrast: mediastinum, heart
}
LEVEL_STEP = 8.0
WIDTH_STEP = 16.0
MEASURE_COLOR = QColor("#ffd54f")


@dataclass(frozen=True)
class PictureSize:
    """What a length on the picture on screen means."""

    original: tuple[int, int]  # the file's width, height
    spacing_mm: tuple[float, float] | None = None  # (row, column)
    spacing_tag: str | None = None
    stored_preview: bool = False


def length_text(line: QLineF, shown: tuple[int, int], size: PictureSize) -> str:
    """A line in shown-picture pixels -> its length in words (mm or pixels, said which)."""
    sx = size.original[0] / max(shown[0], 1)
    sy = size.original[1] / max(shown[1], 1)
    dx, dy = line.dx() * sx, line.dy() * sy
    if size.spacing_mm is not None:
        row_mm, col_mm = size.spacing_mm
        mm = math.hypot(dx * col_mm, dy * row_mm)
        if size.spacing_tag == "ImagerPixelSpacing":
            return _("{length} mm at the detector (ImagerPixelSpacing; the patient is a little "
                     "smaller)").format(length=format_number(mm, 1))
        return _("{length} mm").format(length=format_number(mm, 1))
    pixels = format_number(math.hypot(dx, dy))
    if size.stored_preview:
        return _("{length} pixels of the original image (a stored reading has no pixel size)"
                 ).format(length=pixels)
    return _("{length} pixels (the file gives no pixel size, so no millimetres)").format(
        length=pixels)


class MeasureTool(QObject):
    """Left-drag on the picture draws a line and says its length; the line turns with it."""

    measured = Signal(str)

    def __init__(self, viewer: ImageViewer,
                 stored_size: Callable[[], tuple[int, int] | None] = lambda: None) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.stored_size = stored_size  # a stored reading's original width and height
        self.active = False
        self.size = PictureSize((0, 0))
        self._start: QPointF | None = None
        self.line = QGraphicsLineItem(viewer.image_frame)
        pen = QPen(MEASURE_COLOR, 2)
        pen.setCosmetic(True)
        self.line.setPen(pen)
        self.line.setZValue(5)
        self.label = QGraphicsSimpleTextItem(viewer.image_frame)
        self.label.setBrush(MEASURE_COLOR)
        self.label.setPen(QPen(QColor("#000000"), 0.6))
        self.label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.label.setZValue(6)
        self.text = ""
        self.clear()
        viewer.viewport().installEventFilter(self)

    def set_active(self, on: bool) -> None:
        self.active = bool(on)
        self.viewer.setDragMode(QGraphicsView.DragMode.NoDrag if on
                                else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewer.viewport().setCursor(Qt.CursorShape.CrossCursor if on
                                         else Qt.CursorShape.OpenHandCursor)

    def clear(self) -> None:
        self._start = None
        self.line.setVisible(False)
        self.label.setVisible(False)
        self.text = ""

    def measure(self, start: QPointF, end: QPointF) -> str:
        """Draw a line between two points of the picture (its pixels) and return its length."""
        line = QLineF(start, end)
        self.line.setLine(line)
        self.line.setVisible(True)
        size = self.size
        if size.stored_preview and self.stored_size() is not None:
            size = PictureSize(self.stored_size(), stored_preview=True)
        self.text = length_text(line, self.viewer.image_size, size)
        self.label.setText(self.text)
        self.label.setPos(line.center())
        self.label.setVisible(True)
        self.measured.emit(self.text)
        return self.text

    def _picture_point(self, event) -> QPointF:
        scene = self.viewer.mapToScene(event.position().toPoint())
        return self.viewer.image_frame.mapFromScene(scene)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self.active or not self.viewer.has_image:
            return False
        kind = event.type()
        left = getattr(event, "button", lambda: None)() == Qt.MouseButton.LeftButton
        if kind == QEvent.Type.MouseButtonPress and left:
            self._start = self._picture_point(event)
            return True
        if kind == QEvent.Type.MouseMove and self._start is not None:
            self.measure(self._start, self._picture_point(event))
            return True
        if kind == QEvent.Type.MouseButtonRelease and left and self._start is not None:
            self.measure(self._start, self._picture_point(event))
            self._start = None
            return True
        return False


class ViewerTools(QObject):
    """The actions (and their menu) for presets, steps, rotation, flipping and measuring."""

    def __init__(self, window: QMainWindow, viewer: ImageViewer,
                 stored_size: Callable[[], tuple[int, int] | None] = lambda: None) -> None:
        super().__init__(window)
        self.window = window
        self.viewer = viewer
        self.measure_tool = MeasureTool(viewer, stored_size)
        make = self._make
        self.presets = {
            "default": make(_("&Default brightness/contrast"), "1",
                            _("The picture as it was opened")),
            "lung": make(_("&Lung"), "2", _("Brightness/contrast for the lung fields")),
            "bone": make(_("&Bone"), "3", _("Brightness/contrast for ribs and spine")),
            "soft_tissue": make(_("&Soft tissue"), "4",
                                _("Brightness/contrast for the heart and mediastinum")),
        }
        for name, action in self.presets.items():
            action.triggered.connect(lambda _checked=False, n=name: self.apply_preset(n))
        self.brighter = make(_("&Brighter"), "Alt+Up", _("Make the picture brighter"))
        self.darker = make(_("D&arker"), "Alt+Down", _("Make the picture darker"))
        self.more_contrast = make(_("&More contrast"), "Alt+Right",
                                  _("Increase the contrast"))
        self.less_contrast = make(_("L&ess contrast"), "Alt+Left", _("Reduce the contrast"))
        self.brighter.triggered.connect(lambda: self.step(level=-LEVEL_STEP))
        self.darker.triggered.connect(lambda: self.step(level=LEVEL_STEP))
        self.more_contrast.triggered.connect(lambda: self.step(width=-WIDTH_STEP))
        self.less_contrast.triggered.connect(lambda: self.step(width=WIDTH_STEP))
        self.rotate_right = make(_("Rotate &right"), "]", _("Turn the picture a quarter turn "
                                                             "clockwise"))
        self.rotate_left = make(_("Rotate &left"), "[", _("Turn the picture a quarter turn "
                                                           "anticlockwise"))
        self.flip_lr = make(_("Flip left/&right"), "Ctrl+Shift+H",
                            _("Mirror the picture left to right"))
        self.flip_tb = make(_("Flip &top/bottom"), "Ctrl+Shift+V",
                            _("Mirror the picture top to bottom"))
        self.reset_turn = make(_("&Undo rotation and flips"), "Ctrl+Shift+R",
                               _("Show the picture the way it was opened"))
        self.rotate_right.triggered.connect(lambda: self.turn(1))
        self.rotate_left.triggered.connect(lambda: self.turn(-1))
        self.flip_lr.triggered.connect(lambda: self.flip(lr=True))
        self.flip_tb.triggered.connect(lambda: self.flip(tb=True))
        self.reset_turn.triggered.connect(lambda: viewer.set_orientation(0))
        self.measure = make(_("&Measure a length"), "M",
                            _("Drag on the picture to measure a length; press M again to stop"),
                            checkable=True)
        self.clear_measure = make(_("&Clear the measurement"), "Shift+M",
                                  _("Remove the measured line"))
        self.measure.toggled.connect(self.measure_tool.set_active)
        self.clear_measure.triggered.connect(self.measure_tool.clear)
        viewer.imageChanged.connect(self._new_picture)

    def _make(self, text: str, key: str, tip: str, checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        self.window.addAction(action)
        return action

    def build_menu(self, before: QAction | None = None) -> QMenu:
        """The Image menu, placed before ``before`` in the menu bar (the end without it)."""
        menu = QMenu(_("&Image"), self.window)
        presets = menu.addMenu(_("Brightness/contrast &presets"))
        for action in self.presets.values():
            presets.addAction(action)
        for action in (self.brighter, self.darker, self.more_contrast, self.less_contrast):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.rotate_right, self.rotate_left, self.flip_lr, self.flip_tb,
                       self.reset_turn):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.measure)
        menu.addAction(self.clear_measure)
        bar = self.window.menuBar()
        bar.insertMenu(before, menu) if before is not None else bar.addMenu(menu)
        self.menu = menu
        return menu

    # ----------------------------------------------------------------- commands
    def apply_preset(self, name: str) -> None:
        self.viewer.set_window_level(*PRESETS[name])

    def step(self, level: float = 0.0, width: float = 0.0) -> None:
        center, current = self.viewer.window_level
        self.viewer.set_window_level(center + level, current + width)

    def turn(self, quarter_turns: int) -> None:
        rotation, lr, tb = self.viewer.orientation
        self.viewer.set_orientation(rotation + quarter_turns, lr, tb)

    def flip(self, lr: bool = False, tb: bool = False) -> None:
        rotation, flip_lr, flip_tb = self.viewer.orientation
        self.viewer.set_orientation(rotation, flip_lr != lr, flip_tb != tb)

    # ------------------------------------------------------------------ pictures
    def _new_picture(self) -> None:
        """Another picture: upright, no line; lengths in its own pixels until told more."""
        self.viewer.set_orientation(0)
        self.measure_tool.clear()
        self.measure_tool.size = PictureSize(self.viewer.image_size, stored_preview=True)

    def image_loaded(self, image: XrayImage) -> None:
        """A file was opened (or its full-resolution copy arrived): its size, pixel spacing and
        colours."""
        meta = image.metadata
        self.measure_tool.size = PictureSize((meta.width, meta.height), meta.pixel_spacing_mm,
                                             meta.pixel_spacing_tag)
        self.viewer.set_color(image.color)
