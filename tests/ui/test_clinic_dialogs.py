"""The window's issue-15 screens: Settings > Shared clinic database (connection test, password
in the keyring or a 0600 file, never in the settings or the log), Settings > Staff accounts,
History > Audit trail, and the idle lock."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service import clinic_config, credentials
from cxr_desktop.service.accounts import StaffSession
from cxr_desktop.ui.accounts_dialog import AccountsDialog
from cxr_desktop.ui.audit_dialog import AuditDialog
from cxr_desktop.ui.clinic_database_dialog import ClinicDatabaseDialog
from cxr_desktop.ui.tasks import TaskRunner
from tests.pg_server import ADMIN, ADMIN_PASSWORD
from tests.ui.conftest import RESULT_TIMEOUT_MS, settle


def fill(dialog: ClinicDatabaseDialog, server, password: str) -> None:
    dialog.enabled.setChecked(True)
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(server.port)
    dialog.database.setText("postgres")
    dialog.user.setText(ADMIN)
    dialog.password.setText(password)
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("disable"))


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.setattr(credentials, "_keyring", lambda: None)


def test_clinic_database_settings_test_and_keep_the_password_privately(
        qtbot, app_home: Path, pg_server, no_keyring, caplog, dialogs_log) -> None:
    caplog.set_level(logging.DEBUG, logger="cxr_desktop")
    runner = TaskRunner(max_threads=1)
    dialog = ClinicDatabaseDialog(runner)
    qtbot.addWidget(dialog)
    fill(dialog, pg_server, "wrong password")
    dialog.test_connection()
    qtbot.waitUntil(lambda: "refused the user name or password" in dialog.result.text(),
                    timeout=RESULT_TIMEOUT_MS)
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.result.text().startswith("Connected to"),
                    timeout=RESULT_TIMEOUT_MS)
    assert "no CXR Desktop history yet" in dialog.result.text()  # the test changed nothing
    assert pg_server.sql("SELECT to_regclass('cxr_schema')") == [(None,)]
    dialog.save()
    saved = clinic_config.config_path()
    assert json.loads(saved.read_text())["host"] == "127.0.0.1"
    assert ADMIN_PASSWORD not in saved.read_text()
    secret = app_home / credentials.FILE_NAME
    assert (secret.stat().st_mode & 0o777) == 0o600 and (saved.stat().st_mode & 0o777) == 0o600
    assert credentials.get_password(clinic_config.load().credential_key) == ADMIN_PASSWORD
    assert clinic_config.database_url().startswith(f"postgresql://{ADMIN}@127.0.0.1:")
    assert clinic_config.stored_password() == ADMIN_PASSWORD
    assert ADMIN_PASSWORD not in caplog.text and "wrong password" not in caplog.text
    runner.shutdown()


def test_the_password_goes_to_the_system_keyring_when_there_is_one(app_home: Path) -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        store: dict = {}

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def get_password(self, service, username):
            return self.store.get((service, username))

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        assert credentials.set_password("cxr_app@server:5432/cxr", "s3cret") == "keyring"
        assert credentials.get_password("cxr_app@server:5432/cxr") == "s3cret"
        assert not (app_home / credentials.FILE_NAME).exists()
        credentials.delete_password("cxr_app@server:5432/cxr")
        assert credentials.get_password("cxr_app@server:5432/cxr") is None
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def staffed_home(app_home: Path) -> Path:
    app_home.mkdir(parents=True, exist_ok=True)
    with SqliteHistory(app_home / "history.sqlite3") as history:
        session = StaffSession(history, workstation="desk")
        session.add_account("kofi", SUPERVISOR, "9999")
        session.sign_in("kofi", "9999")
        session.add_account("ama", HEALTH_WORKER, "1111")
    return app_home


def sign_in(qtbot, window, name: str, pin: str) -> None:
    qtbot.waitUntil(lambda: window.clinic.dialog is not None and window.clinic.locked,
                    timeout=RESULT_TIMEOUT_MS)
    window.clinic.dialog.name.setText(name)
    window.clinic.dialog.pin.setText(pin)
    window.clinic.dialog.try_sign_in()
    qtbot.waitUntil(lambda: not window.clinic.locked, timeout=RESULT_TIMEOUT_MS)


def test_a_wrong_pin_is_refused_and_the_window_locks_when_left_alone(qtbot, staffed_home: Path,
                                                                     make_window) -> None:
    window = make_window()
    qtbot.waitUntil(lambda: window.clinic.locked, timeout=RESULT_TIMEOUT_MS)
    dialog = window.clinic.dialog
    dialog.name.setText("ama")
    dialog.pin.setText("0000")
    dialog.try_sign_in()
    qtbot.waitUntil(lambda: "not right" in dialog.message.text(), timeout=RESULT_TIMEOUT_MS)
    dialog.reject()  # Escape: still locked
    assert window.clinic.locked and not window.history_dock.isVisible()
    sign_in(qtbot, window, "ama", "1111")
    assert window.history_dock.isVisible()
    window.clinic.last_input -= 3600  # an hour without a key or a click
    window.clinic.tick()
    assert window.clinic.locked and not window.history_dock.isVisible()
    sign_in(qtbot, window, "ama", "1111")
    settle(qtbot, window.history_view)
    with SqliteHistory(staffed_home / "history.sqlite3") as history:
        actions = [(e.actor, e.action) for e in history.search_audit(AuditQuery(descending=False))]
    mine = [a for a in actions if a[0] == "ama"]
    assert mine == [("ama", "sign_in_failed"), ("ama", "sign_in"), ("ama", "lock"),
                    ("ama", "sign_in")]


def test_accounts_and_audit_dialogs(qtbot, staffed_home: Path, make_window, monkeypatch,
                                    tmp_path: Path) -> None:
    window = make_window()
    sign_in(qtbot, window, "kofi", "9999")
    accounts = AccountsDialog(window.ops, window.history.session, window)
    qtbot.addWidget(accounts)
    qtbot.waitUntil(lambda: accounts.accounts.count() == 2, timeout=RESULT_TIMEOUT_MS)
    accounts.name.setText("efua")
    accounts.pin.setText("4321")
    accounts.pin_again.setText("4321")
    accounts.save()
    qtbot.waitUntil(lambda: accounts.accounts.count() == 3, timeout=RESULT_TIMEOUT_MS)
    audit = AuditDialog(window.ops, window)
    qtbot.addWidget(audit)
    qtbot.waitUntil(lambda: audit.table.rowCount() > 0, timeout=RESULT_TIMEOUT_MS)
    assert audit.table.item(0, 2).text() == "account" and audit.table.item(0, 1).text() == "kofi"
    audit.person.setText("ama")
    audit.refresh()
    qtbot.waitUntil(lambda: audit.table.rowCount() == 0, timeout=RESULT_TIMEOUT_MS)
    target = tmp_path / "audit.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    audit.person.setText("")
    audit.export()
    qtbot.waitUntil(lambda: "Exported" in audit.status.text(), timeout=RESULT_TIMEOUT_MS)
    assert "account" in target.read_text(encoding="utf-8-sig")
