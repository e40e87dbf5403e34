"""What issue 15 adds to the window, in one object made by MainWindow: the "working offline"
indicator, Settings > Shared clinic database and Staff accounts, History > Audit trail, and
with staff accounts on, signing in at start and locking after a while without use.

Nothing here touches the history on the GUI thread: the offline state is in memory
(``QueueingHistory.status``), everything else goes through HistoryOps.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _
from cxr_desktop.service.sync import describe, describe_short
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.sign_in_dialog import SignInDialog

log = logging.getLogger(__name__)

IDLE_LOCK_MINUTES = 5
INPUT_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                          QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin})


class ClinicFeatures(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.history = window.history
        self.ops = window.ops
        self.session = getattr(self.history, "session", None)  # a GuardedHistory's
        self.accounts_on = False
        self.locked = False
        self.dialog: SignInDialog | None = None
        self.last_input = time.monotonic()
        self.offline_label = QLabel(window)
        self.offline_label.setObjectName("offline_indicator")
        self.offline_label.setStyleSheet("QLabel { color: #8a3b00; font-weight: bold; }")
        self.offline_label.hide()
        window.statusBar().addPermanentWidget(self.offline_label)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(1000)
        a = window.commands
        a.clinic_database.triggered.connect(self.edit_clinic_database)
        a.staff_accounts.triggered.connect(self.edit_accounts)
        a.audit_trail.triggered.connect(self.show_audit)
        a.lock.triggered.connect(lambda: self.lock(manual=True))
        window.controller.readingSaved.connect(self._saved)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.tick()
        if self.session is not None and self.ops.available:
            self.ops.query(lambda store: self.session.accounts_enabled(refresh=True),
                           self._accounts_known, lambda exc: log.warning(
                               "accounts not checked: %s", type(exc).__name__))

    @property
    def idle_lock_s(self) -> float:
        try:
            minutes = float(self.window.settings.q.value("accounts/idle_lock_minutes",
                                                         IDLE_LOCK_MINUTES))
        except (TypeError, ValueError):
            minutes = IDLE_LOCK_MINUTES
        return max(0.5, minutes) * 60

    # -- offline ------------------------------------------------------------------------------

    def sync_status(self):
        status = getattr(self.history, "status", None)
        return status() if callable(status) else None

    def tick(self) -> None:
        status = self.sync_status()
        text = describe_short(status) if status is not None else None
        self.offline_label.setVisible(bool(text))
        if text:
            self.offline_label.setText(text)
            self.offline_label.setToolTip("\n".join(
                t for t in (describe(status), status.last_error) if t))
        if (self.accounts_on and not self.locked
                and time.monotonic() - self.last_input > self.idle_lock_s):
            self.lock()

    def _saved(self, reading: Reading) -> None:
        if reading.id is not None and reading.id < 0:  # kept on this PC, sent later
            text = _("Kept on this PC: the clinic database cannot be reached. It will be sent "
                     "when it is back.")
            panel = self.window.prediction_panel
            if panel.result is not None:
                panel.show_result(panel.result, text, saved=True)
            self.window.statusBar().showMessage(text, 10000)
        self.tick()

    # -- signing in, locking ------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in INPUT_EVENTS:
            self.last_input = time.monotonic()
        return False

    def _accounts_known(self, enabled: bool) -> None:
        self.accounts_on = bool(enabled)
        if self.accounts_on and self.session.current is None:
            self.lock(first=True)

    def _hide_contents(self, hidden: bool) -> None:
        central = self.window.centralWidget()
        if central is not None:
            central.setVisible(not hidden)
        for dock in (self.window.reading_dock, self.window.history_dock):
            dock.setVisible(not hidden)

    def lock(self, manual: bool = False, first: bool = False) -> None:
        if self.session is None or self.locked:
            return
        if not self.accounts_on:
            if manual:
                dialogs.show_info(self.window, _("Lock"), _("Staff accounts are not switched "
                                  "on: see Settings > Staff accounts."))
            return
        self.locked = True
        self._hide_contents(True)
        if not first:
            self.ops.write(lambda store: self.session.sign_out("sign_out" if manual else "lock"))
        self.dialog = SignInDialog(self._check, locked=not first and not manual, parent=self.window)
        self.dialog.accepted.connect(self._unlocked)
        self.dialog.open()

    def _check(self, name: str, pin: str, done, failed) -> None:
        self.ops.query(lambda store: self.session.sign_in(name, pin), done, failed)

    def _unlocked(self) -> None:
        self.locked = False
        self.last_input = time.monotonic()
        self._hide_contents(False)
        self.window.history_view.refresh()
        current = self.session.current
        if current is not None:
            self.window.statusBar().showMessage(
                _("Signed in as {name}.").format(name=current.name), 8000)

    # -- dialogs ------------------------------------------------------------------------------

    def edit_clinic_database(self) -> None:
        from cxr_desktop.ui.clinic_database_dialog import ClinicDatabaseDialog

        ClinicDatabaseDialog(self.window.runner, self.window).exec()

    def edit_accounts(self) -> None:
        if self.session is None:
            return
        from cxr_desktop.ui.accounts_dialog import AccountsDialog

        AccountsDialog(self.ops, self.session, self.window).exec()
        self.ops.query(lambda store: self.session.accounts_enabled(refresh=True),
                       lambda on: setattr(self, "accounts_on", bool(on)))

    def show_audit(self) -> None:
        from cxr_desktop.ui.audit_dialog import AuditDialog

        AuditDialog(self.ops, self.window).exec()
