"""Settings > Shared clinic database (issue 15): where the clinic's server is, a connection
test, and the password kept in the system keyring or a private file (never in the settings)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.i18n import N_, _
from cxr_desktop.service import clinic_config, credentials
from cxr_desktop.service.clinic_config import SSL_MODES, ClinicDatabase
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.plain import plain_label
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

SSL_TEXT = {
    "verify-full": N_("Encrypted, server checked (recommended)"),
    "verify-ca": N_("Encrypted, certificate checked, not the name"),
    "require": N_("Encrypted, server not checked"),
    "prefer": N_("Encrypted if the server offers it"),
    "disable": N_("Not encrypted (not recommended)"),
}


class ClinicDatabaseDialog(QDialog):
    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Shared clinic database"))
        self.setObjectName("clinic_database_dialog")
        self.runner = runner
        config = clinic_config.load()
        layout = QVBoxLayout(self)
        intro = plain_label(_(
            "Several PCs can share one history on the clinic's database server. Readings made "
            "while it cannot be reached are kept on this PC and sent when it is back."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.enabled = QCheckBox(_("&Use the shared clinic database"), self)
        self.enabled.setChecked(config.enabled)
        layout.addWidget(self.enabled)
        form = QFormLayout()
        self.host = QLineEdit(config.host, self)
        self.host.setPlaceholderText(_("for example cxr-server.local"))
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(int(config.port))
        self.database = QLineEdit(config.database, self)
        self.user = QLineEdit(config.user, self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("unchanged") if credentials.get_password(
            config.credential_key) else "")
        self.sslmode = QComboBox(self)
        for mode in SSL_MODES:
            self.sslmode.addItem(_(SSL_TEXT[mode]), mode)
        self.sslmode.setCurrentIndex(max(0, self.sslmode.findData(config.sslmode)))
        self.ca_file = QLineEdit(config.sslrootcert, self)
        browse = QPushButton(_("&Browse\u2026"), self)
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        form.addRow(_("&Server:"), self.host)
        form.addRow(_("&Port:"), self.port)
        form.addRow(_("&Database:"), self.database)
        form.addRow(_("&User:"), self.user)
        form.addRow(_("Pass&word:"), self.password)
        form.addRow(_("&Security:"), self.sslmode)
        form.addRow(_("Clinic certificate:"), ca_row)
        layout.addLayout(form)
        self.test_button = QPushButton(_("&Test connection"), self)
        self.test_button.clicked.connect(self.test_connection)
        self.result = plain_label("", self)
        self.result.setObjectName("connection_result")
        self.result.setWordWrap(True)
        layout.addWidget(self.test_button)
        layout.addWidget(self.result)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 480)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("The clinic's CA certificate"), "",
                                                    _("Certificates (*.crt *.pem)"))
        if path:
            self.ca_file.setText(path)

    def config(self) -> ClinicDatabase:
        return ClinicDatabase(enabled=self.enabled.isChecked(), host=self.host.text().strip(),
                              port=self.port.value(), database=self.database.text().strip(),
                              user=self.user.text().strip(),
                              sslmode=str(self.sslmode.currentData()),
                              sslrootcert=self.ca_file.text().strip())

    def _password(self, config: ClinicDatabase) -> str | None:
        typed = self.password.text()
        return typed if typed else credentials.get_password(config.credential_key)

    def test_connection(self) -> None:
        config = self.config()
        if not config.host:
            self.result.setText(_("Enter the server's name or address first."))
            return
        password = self._password(config)
        self.test_button.setEnabled(False)
        self.result.setText(_("Connecting\u2026"))
        self.runner.submit(lambda: clinic_config.test_connection(config, password),
                           self._tested, self._test_failed)

    def _tested(self, text: str) -> None:
        self.test_button.setEnabled(True)
        self.result.setText(text)

    def _test_failed(self, exc: BaseException) -> None:
        self.test_button.setEnabled(True)
        self.result.setText(dialogs.error_text(exc))

    def save(self) -> None:
        config = self.config()
        if config.enabled and not config.host:
            self.result.setText(_("Enter the server's name or address first."))
            return
        clinic_config.save(config)
        if self.password.text():
            credentials.set_password(config.credential_key, self.password.text())
        log.info("clinic database settings saved (enabled=%s)", config.enabled)
        dialogs.show_info(self, _("Shared clinic database"),
                          _("Saved. Restart CXR Desktop to use the new setting."))
        self.accept()
