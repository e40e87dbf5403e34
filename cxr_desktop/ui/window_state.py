"""WindowState: what the main window remembers between runs (geometry, docks and toolbars,
heatmap on/off and opacity), restored when it is built and saved when it closes."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QSlider

from cxr_desktop.ui.settings import AppSettings
from cxr_desktop.ui.viewer import ImageViewer


class WindowState(QObject):
    def __init__(self, window: QMainWindow, settings: AppSettings, viewer: ImageViewer,
                 heatmap: QAction, opacity: QSlider) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.viewer = viewer
        heatmap.toggled.connect(self._heatmap_toggled)
        opacity.valueChanged.connect(self._opacity_changed)
        geometry, state = settings.window_state()
        if geometry is not None:
            window.restoreGeometry(geometry)
        if state is not None:
            window.restoreState(state)
        heatmap.setChecked(settings.heatmap_visible)
        viewer.set_heatmap_visible(settings.heatmap_visible)
        opacity.setValue(settings.heatmap_opacity)
        viewer.set_heatmap_opacity(settings.heatmap_opacity / 100.0)

    def save(self) -> None:
        self.settings.save_window_state(self.window.saveGeometry(), self.window.saveState())
        self.settings.sync()

    def _heatmap_toggled(self, on: bool) -> None:
        self.viewer.set_heatmap_visible(on)
        self.settings.heatmap_visible = on

    def _opacity_changed(self, value: int) -> None:
        self.viewer.set_heatmap_opacity(value / 100.0)
        self.settings.heatmap_opacity = value
