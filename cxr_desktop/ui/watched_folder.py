"""WatchedFolder (File > Watch a folder..., off by default): every few seconds the folder the
X-ray unit exports into is looked at and new, complete images are read and saved, each once
(``service.watch_folder``: a journal in the user data folder). The look runs on the history's
write lane (it saves readings), one at a time; the setting is remembered."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog

from cxr_desktop import paths
from cxr_desktop.i18n import _, ngettext
from cxr_desktop.private_files import make_private_dir
from cxr_desktop.service.watch_folder import JOURNAL_NAME, FolderWatcher, Journal, WatchEvent

if TYPE_CHECKING:
    from cxr_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

INTERVAL_MS = 3000


class WatchedFolder(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.watcher: FolderWatcher | None = None
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.look)
        action = window.commands.watch_folder
        q = window.settings.q
        self.folder = str(q.value("watch/folder", "") or "")
        enabled = str(q.value("watch/enabled", "false")).lower() in ("1", "true")
        action.setChecked(bool(enabled and self.folder and window.ops.available
                               and window.classifier is not None))
        action.toggled.connect(lambda on: self.set_enabled(on))
        if action.isChecked():  # on since the last session: no need to ask again
            self.set_enabled(True, ask=False)

    def set_enabled(self, on: bool, ask: bool = True) -> None:
        w, q = self.window, self.window.settings.q
        if on and (not w.ops.available or w.classifier is None):
            w.commands.watch_folder.setChecked(False)
            return
        if on and (ask or not self.folder):
            folder = QFileDialog.getExistingDirectory(
                w, _("Watch a folder: choose where the X-ray unit saves its images"), self.folder)
            if not folder:
                w.commands.watch_folder.setChecked(False)
                return
            self.folder = folder
        q.setValue("watch/folder", self.folder)
        q.setValue("watch/enabled", bool(on))
        self.watcher = None
        if on:
            self.timer.start()
            w.statusBar().showMessage(_("Watching {folder} for new X-rays.").format(
                folder=self.folder), 8000)
        else:
            self.timer.stop()

    def look(self) -> None:
        clinic = getattr(self.window, "clinic", None)
        if self._busy or not self.folder or getattr(clinic, "locked", False):
            return  # issue 15: while locked nobody is signed in to save; read once signed in
        self._busy = True
        self.window.ops.write(self._poll, self._looked, self._failed)

    def _poll(self, store) -> list[WatchEvent]:  # the write lane
        if self.watcher is None:
            make_private_dir(paths.data_dir())
            self.watcher = FolderWatcher(self.folder, Journal(paths.data_dir() / JOURNAL_NAME),
                                         self.window.service, store)
        return self.watcher.poll()

    def _looked(self, events: list[WatchEvent]) -> None:
        self._busy = False
        done = [e for e in events if e.state == "done"]
        if done:
            self.window.history_view.refresh(select_id=done[-1].reading_id)
            self.window.statusBar().showMessage(ngettext(
                "Watched folder: {count} new X-ray read and saved.",
                "Watched folder: {count} new X-rays read and saved.", len(done)).format(
                count=len(done)), 10000)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        log.warning("watched folder: %s", type(exc).__name__)
        self.window.statusBar().showMessage(_("The watched folder could not be read."), 10000)
