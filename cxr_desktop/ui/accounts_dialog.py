"""Settings > Staff accounts (issue 15): the accounts, and adding or changing one (name, role,
PIN). The first account must be a supervisor's and turns sign-in on for every PC."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR, Account
from cxr_desktop.i18n import N_, _
from cxr_desktop.service.accounts import StaffSession
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import plain_label

ROLE_TEXT = {HEALTH_WORKER: N_("Health worker: reads and reviews"),
             SUPERVISOR: N_("Supervisor: also deletes, exports and manages accounts")}


class AccountsDialog(QDialog):
    def __init__(self, ops: HistoryOps, session: StaffSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accounts_dialog")
        self.setWindowTitle(_("Staff accounts"))
        self.ops, self.session = ops, session
        layout = QVBoxLayout(self)
        intro = plain_label(_(
            "With at least one supervisor account, everyone signs in and every view, review, "
            "deletion and export is kept in the audit trail."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.accounts = QListWidget(self)
        layout.addWidget(self.accounts)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.role = QComboBox(self)
        for role in (HEALTH_WORKER, SUPERVISOR):
            self.role.addItem(_(ROLE_TEXT[role]), role)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_again = QLineEdit(self)
        self.pin_again.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("&Name:"), self.name)
        form.addRow(_("&Role:"), self.role)
        form.addRow(_("&PIN or password:"), self.pin)
        form.addRow(_("The &same again:"), self.pin_again)
        layout.addLayout(form)
        save = QPushButton(_("&Save account"), self)
        save.clicked.connect(self.save)
        layout.addWidget(save)
        self.message = plain_label("", self)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 480)
        self.refresh()

    def refresh(self) -> None:
        def listed(store) -> list[Account]:
            if not self.session.accounts_enabled(refresh=True):
                return []
            return store.list_accounts()

        self.ops.query(listed, self._show, lambda exc: self.message.setText(
            dialogs.error_text(exc)), key="accounts")

    def _show(self, accounts: list[Account]) -> None:
        self.accounts.clear()
        for account in accounts:
            role = _(ROLE_TEXT[account.role]) if account.role in ROLE_TEXT else account.role
            self.accounts.addItem(_("{name} \u2014 {role}").format(name=account.name, role=role))

    def save(self) -> None:
        if self.pin.text() != self.pin_again.text():
            self.message.setText(_("The two PINs are not the same."))
            return
        name, role, pin = self.name.text(), str(self.role.currentData()), self.pin.text()
        self.ops.write(lambda store: self.session.add_account(name, role, pin), self._saved,
                       lambda exc: self.message.setText(dialogs.error_text(exc)))

    def _saved(self, account: Account) -> None:
        self.pin.clear()
        self.pin_again.clear()
        self.message.setText(_("Account {name} saved.").format(name=account.name))
        self.refresh()
