"""The sign-in dialog (issue 15): name and PIN, shown at start and when the window locked
itself after a while without use. Checking the PIN runs on the history's read lane."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.i18n import _
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.plain import plain_label


class SignInDialog(QDialog):
    def __init__(self, check: Callable[[str, str, Callable, Callable], None], locked: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sign_in_dialog")
        self.setWindowTitle(_("Sign in"))
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self._check = check
        layout = QVBoxLayout(self)
        text = (_("The window was locked because it was not used for a while. Sign in to go on.")
                if locked else _("Sign in with your name and PIN."))
        intro = plain_label(text, self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("&Name:"), self.name)
        form.addRow(_("&PIN or password:"), self.pin)
        layout.addLayout(form)
        self.message = plain_label("", self)
        self.message.setObjectName("sign_in_message")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        self.buttons.accepted.connect(self.try_sign_in)
        layout.addWidget(self.buttons)
        self.resize(420, 220)

    def try_sign_in(self) -> None:
        self.buttons.setEnabled(False)
        self.message.setText(_("Checking\u2026"))
        self._check(self.name.text(), self.pin.text(), self._signed_in, self._refused)

    def _signed_in(self, _account: object) -> None:
        self.pin.clear()
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.pin.clear()
        self.message.setText(dialogs.error_text(exc))

    def reject(self) -> None:  # Escape does not get past the lock
        self.message.setText(_("Sign in to use CXR Desktop."))
