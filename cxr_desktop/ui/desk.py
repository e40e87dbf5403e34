"""ClinicDesk (issue 13): what makes the main window usable at every clinic desk, wired in one
place: the layout for small screens (``responsive``), the viewer's controls (``viewer_tools``),
Settings > Language (``language_menu``), window shortcuts that work whatever has the focus
(``shortcuts``) and names for screen readers (``accessibility``). MainWindow makes it with one
line once its widgets and saved state are in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from cxr_desktop.core.types import XrayImage
from cxr_desktop.i18n import _
from cxr_desktop.ui import accessibility
from cxr_desktop.ui.language_menu import LanguageMenu
from cxr_desktop.ui.responsive import ResponsiveLayout
from cxr_desktop.ui.shortcuts import WindowShortcutsFirst
from cxr_desktop.ui.viewer_tools import ViewerTools

if TYPE_CHECKING:
    from cxr_desktop.ui.main_window import MainWindow


class ClinicDesk(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        pane = window.reading_dock.widget()
        restored = window.settings.window_state()[0] is not None
        self.layout = ResponsiveLayout(window, window.reading_dock, window.history_dock, pane,
                                       restored)
        self.tools = ViewerTools(window, window.viewer, self._stored_size)
        history_menu = next((a for a in window.menuBar().actions()
                             if a.menu() is not None and a.menu().title() == _("&History")), None)
        self.tools.build_menu(before=history_menu)
        self.languages = LanguageMenu(window, window.settings, window.commands.settings_menu)
        self.shortcuts = WindowShortcutsFirst(window)
        window.controller.resultReady.connect(self._result_shown)
        window.controller.readingSaved.connect(self._result_shown)
        window.history_view.openRequested.connect(self._result_shown)
        window.controller.imageLoaded.connect(self._image_loaded)
        window.controller.fullImageLoaded.connect(self._image_loaded)
        self.tools.measure_tool.measured.connect(
            lambda text: window.statusBar().showMessage(
                _("Length: {length}").format(length=text), 15000))
        self._name_controls()
        accessibility.install()

    def _stored_size(self) -> tuple[int, int] | None:
        """The original size of the stored reading on screen (its preview is smaller)."""
        reading = self.window.current_reading
        if reading is None or not reading.width or not reading.height:
            return None
        return (int(reading.width), int(reading.height))

    def _result_shown(self, *_args: object) -> None:
        QTimer.singleShot(0, self.window, self.layout.fit_reading)

    def _image_loaded(self, image: XrayImage) -> None:
        self.tools.image_loaded(image)

    def _name_controls(self) -> None:
        """Names for controls whose meaning is only shown by their neighbours."""
        w = self.window
        w.viewer.setAccessibleName(_("X-ray image"))
        w.viewer.setStyleSheet("QGraphicsView { border: 2px solid transparent; }"
                               " QGraphicsView:focus { border: 2px solid #1565c0; }")
        w.viewer.setAccessibleDescription(_(
            "The opened X-ray. Wheel or plus/minus keys zoom, arrow keys move, number keys 1 to 4 "
            "choose brightness/contrast presets, M measures a length."))
        history = w.history_view
        history.table.setAccessibleName(_("Reading history"))
        history.from_date.setAccessibleName(_("From date"))
        history.to_date.setAccessibleName(_("To date"))
        history.search_edit.setAccessibleName(_("Search the history"))
