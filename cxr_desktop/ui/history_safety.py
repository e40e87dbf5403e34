"""HistorySafety: what the window does so that no reading is lost (issue 14), all off the GUI
thread through ``HistoryOps``:

* shows what the history has to tell (``HistoryStore.notices()``: a damaged file repaired at
  open, journal files deleted by another program and put back), soon after the start and then
  every ``POLL_MS`` (the look is cheap: three ``stat`` calls);
* makes the day's backup ``DAILY_BACKUP_MS`` after the start (verified: its ``integrity_check``
  reads every page the history has), or, when today's copy exists already, runs the full
  ``integrity_check`` of the history ``VERIFY_MS`` after the start; what they find is shown;
* History > Back up now and History > Restore from backup… (``RestoreDialog``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.storage import BackupError, BackupInfo, HistoryStore
from cxr_desktop.i18n import _, format_number, ngettext
from cxr_desktop.service import backups as backup_service
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.backup_dialog import RestoreDialog
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class HistorySafety(QObject):
    noticeShown = Signal(str)  # the message, for tests and the status bar
    status = Signal(str)

    FIRST_LOOK_MS = 1500
    POLL_MS = 30_000
    DAILY_BACKUP_MS = 60_000
    VERIFY_MS = 10 * 60_000

    def __init__(self, ops: HistoryOps, runner: TaskRunner, window,
                 attach: Callable[[HistoryStore], None]) -> None:
        super().__init__(window)
        self.ops = ops
        self.runner = runner
        self.window = window
        self.attach = attach
        self.dialog: RestoreDialog | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(self.POLL_MS)
        self._poll.timeout.connect(self.look)
        QTimer.singleShot(self.FIRST_LOOK_MS, self, self.start)
        QTimer.singleShot(self.DAILY_BACKUP_MS, self, self.daily)
        actions = window.commands
        actions.restore.triggered.connect(self.open_restore_dialog)
        actions.backup_now.triggered.connect(self.back_up_now)

    def start(self) -> None:
        self.look()
        self._poll.start()

    # ------------------------------------------------------------- notices
    def look(self) -> None:
        if self.ops.available and not self.ops.closed:
            self.ops.long_read(lambda store: store.notices(), self.show_notices,
                               lambda exc: log.warning("notices failed: %s", type(exc).__name__))

    def show_notices(self, notices: list[StorageError]) -> None:
        for notice in notices:
            self.noticeShown.emit(notice.message)
            dialogs.show_error(self.window, _("Reading history"), notice.message)

    # -------------------------------------------------------------- backups
    def daily(self) -> None:
        if not self.ops.available or self.ops.closed:
            return
        self.ops.long_read(lambda store: backup_service.daily_backup(store), self._daily_done,
                           self._backup_failed)

    def _daily_done(self, info: BackupInfo | None) -> None:
        if info is None:  # today's copy exists: the full check now and then instead
            QTimer.singleShot(self.VERIFY_MS - self.DAILY_BACKUP_MS, self, self.verify)
            return
        self.status.emit(ngettext("Today's backup was made and checked: {count} reading.",
                                  "Today's backup was made and checked: {count} readings.",
                                  info.readings).format(count=format_number(info.readings)))

    def _backup_failed(self, exc: BaseException) -> None:
        text = dialogs.error_text(exc)
        self.status.emit(text)
        self.noticeShown.emit(text)
        if isinstance(exc, StorageError) and not isinstance(exc, BackupError):
            dialogs.show_error(self.window, _("Reading history"), text)  # the history itself
        self.look()

    def verify(self) -> None:
        if self.ops.available and not self.ops.closed:
            self.ops.long_read(lambda store: store.verify(), self.show_notices,
                               lambda exc: log.warning("verify failed: %s", type(exc).__name__))

    def back_up_now(self) -> None:
        if not self.ops.available:
            self.open_restore_dialog()
            return
        self.status.emit(_("Making a backup\u2026 Saving goes on meanwhile."))
        self.ops.long_read(lambda store: backup_service.backup_now(store),
                           lambda info: self.status.emit(ngettext(
                               "Backup made and checked: {count} reading.",
                               "Backup made and checked: {count} readings.",
                               info.readings).format(count=format_number(info.readings))),
                           lambda exc: dialogs.show_error(self.window, _("Backup"),
                                                          dialogs.error_text(exc)))

    def open_restore_dialog(self) -> RestoreDialog:
        self.dialog = RestoreDialog(self.ops, self.runner, self.window)
        self.dialog.restored.connect(self._restored)
        self.dialog.open()
        return self.dialog

    def _restored(self, store: HistoryStore | None) -> None:
        if store is not None:
            self.attach(store)
        self.window.history_view.refresh()
