"""ImageViewer: display, window/level, invert, zoom, heatmap overlay, large images."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from cxr_desktop.ui.viewer import ImageViewer


@pytest.fixture
def viewer(qtbot):
    v = ImageViewer()
    qtbot.addWidget(v)
    v.resize(600, 500)
    v.show()
    qtbot.waitExposed(v)
    return v


def ramp(h: int = 200, w: int = 300) -> np.ndarray:
    return np.tile(np.linspace(0, 255, w).astype(np.uint8), (h, 1))


def mouse(viewer, kind, pos, button, buttons):
    event = QMouseEvent(kind, QPointF(pos), viewer.viewport().mapToGlobal(QPointF(pos)), button,
                        buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewer.viewport(), event)


def test_shows_the_display_pixels(viewer):
    image = ramp()
    viewer.set_image(image)
    assert viewer.has_image and viewer.image_size == (300, 200)
    assert np.array_equal(viewer.rendered_array(), image)
    viewer.set_inverted(True)
    assert np.array_equal(viewer.rendered_array(), 255 - image)


def test_window_level_by_right_drag_and_reset(viewer, qtbot):
    viewer.set_image(ramp())
    changes = []
    viewer.windowLevelChanged.connect(lambda c, w: changes.append((c, w)))
    start, end = QPoint(300, 250), QPoint(200, 210)  # left = narrower window, up = lower level
    mouse(viewer, QEvent.Type.MouseButtonPress, start, Qt.MouseButton.RightButton,
          Qt.MouseButton.RightButton)
    mouse(viewer, QEvent.Type.MouseMove, end, Qt.MouseButton.NoButton, Qt.MouseButton.RightButton)
    mouse(viewer, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.RightButton,
          Qt.MouseButton.NoButton)
    center, width = viewer.window_level
    assert width == pytest.approx(156.0) and center == pytest.approx(107.5)
    assert changes[-1] == (center, width)
    shown = viewer.rendered_array()
    assert shown[0, 0] == 0 and shown[0, -1] == 255  # contrast was increased
    viewer.reset_window_level()
    assert np.array_equal(viewer.rendered_array(), ramp())


def test_zoom_fit_and_actual_size(viewer):
    viewer.set_image(ramp(1000, 1200))
    fit = viewer.current_scale()
    assert 0.3 < fit < 0.6
    viewer.zoom_in()
    assert viewer.current_scale() == pytest.approx(fit * 1.25)
    viewer.zoom_out()
    viewer.zoom_out()
    assert viewer.current_scale() == pytest.approx(fit / 1.25)
    viewer.actual_size()
    assert viewer.current_scale() == pytest.approx(1.0)
    viewer.fit()
    assert viewer.current_scale() == pytest.approx(fit)


def test_wheel_zooms_around_the_cursor(viewer):
    viewer.set_image(ramp(1000, 1200))
    viewer.actual_size()
    pos = QPointF(100, 120)
    before = viewer.mapToScene(pos.toPoint())
    event = QWheelEvent(pos, viewer.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewer.viewport(), event)
    assert viewer.current_scale() == pytest.approx(1.25)
    after = viewer.mapToScene(pos.toPoint())
    assert abs(after.x() - before.x()) < 2 and abs(after.y() - before.y()) < 2


def test_heatmap_overlay(viewer):
    viewer.set_image(ramp())
    heat = np.zeros((7, 7), np.uint8)
    heat[3, 3] = 255
    viewer.set_heatmap(heat)
    assert viewer.has_heatmap and viewer.heatmap_visible
    viewer.set_heatmap_opacity(0.3)
    assert viewer.heatmap_opacity == pytest.approx(0.3)
    viewer.set_heatmap_visible(False)
    assert not viewer.heatmap_visible
    viewer.set_heatmap_visible(True)
    viewer.set_heatmap(None)
    assert not viewer.has_heatmap and not viewer.heatmap_visible


def test_zoomed_out_uses_a_smaller_copy(viewer):
    big = np.random.default_rng(0).integers(0, 256, (3000, 2400), dtype=np.uint8)
    viewer.set_image(big)
    shown = viewer.rendered_array()
    assert shown.shape[0] < 3000  # a box-filtered pyramid level is shown at fit
    viewer.actual_size()
    assert viewer.rendered_array().shape == (3000, 2400)


def test_large_16_bit_dicom(viewer, tmp_path):
    from cxr_desktop.core.imaging import load_xray
    from tests.core.dicom_factory import make_dataset, write

    yy, xx = np.mgrid[0:4000, 0:4000]
    pixels = ((xx + yy) * 8 % 65536).astype(np.uint16)
    path = write(tmp_path / "big.dcm", make_dataset(pixels, "MONOCHROME2", 16))
    image = load_xray(path)
    viewer.set_image(image.display)
    assert viewer.image_size == (4000, 4000)
    viewer.set_window_level(100, 50)
    viewer.set_inverted(True)
    assert viewer.rendered_array().shape[0] <= 1000
    viewer.grab()  # paints without trouble


def test_rejects_non_gray(viewer):
    with pytest.raises(ValueError):
        viewer.set_image(np.zeros((10, 10, 3), np.uint8))
