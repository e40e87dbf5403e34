"""RecentFilesMenu: fills the File > Recent files menu from the settings each time it opens."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu

from cxr_desktop.ui.plain import menu_text, rich_text
from cxr_desktop.ui.settings import AppSettings


class RecentFilesMenu(QObject):
    openRequested = Signal(str)

    def __init__(self, menu: QMenu, settings: AppSettings) -> None:
        super().__init__(menu)
        self.menu = menu
        self.settings = settings
        menu.aboutToShow.connect(self.fill)

    def fill(self) -> None:
        self.menu.clear()
        files = self.settings.recent_files()
        for number, path in enumerate(files, start=1):
            prefix = f"&{number} " if number < 10 else ""
            action = self.menu.addAction(prefix + menu_text(Path(path).name))
            action.setToolTip(rich_text(path))
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.openRequested.emit(p))
        if not files:
            self.menu.addAction("(none)").setEnabled(False)
        else:
            self.menu.addSeparator()
            self.menu.addAction("Clear list", self.settings.clear_recent_files)
