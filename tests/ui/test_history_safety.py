"""The window's side of issue 14: it says what happened to the history, backs up, restores, and
never does that work on the GUI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from cxr_desktop.service import backups as backup_service
from cxr_desktop.ui.backup_dialog import RestoreDialog
from tests.core.storage.helpers import make_reading
from tests.ui.conftest import RESULT_TIMEOUT_MS, settle


def _fill(db: Path, count: int) -> None:
    with History(db) as h:
        for i in range(count):
            h.add(make_reading(patient_id=f"G{i}"))


def _dialog(window) -> RestoreDialog:
    return window.safety.open_restore_dialog()


def test_a_damaged_history_is_said_in_plain_words_when_the_window_opens(
        qtbot, make_window, app_home: Path, dialogs_log) -> None:
    db = app_home / "history.sqlite3"
    _fill(db, 2)
    data = bytearray(db.read_bytes())
    data[100:] = b"\x00\xff" * ((len(data) - 100) // 2)
    db.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    window = make_window()
    qtbot.waitUntil(lambda: bool(dialogs_log.texts("warning")), timeout=RESULT_TIMEOUT_MS)
    (text,) = dialogs_log.texts("warning")
    assert "The reading history was damaged" in text and "damaged-" in text
    assert window.history is not None and window.history.count() == 0


def test_restore_from_backup_lists_copies_and_brings_one_back(
        qtbot, make_window, app_home: Path, dialogs_log) -> None:
    db = app_home / "history.sqlite3"
    _fill(db, 3)
    with History(db) as h:
        h.backup()
    _fill(db, 2)
    window = make_window()
    assert window.history.count() == 5
    dialog = _dialog(window)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1 and not dialog.busy,
                    timeout=RESULT_TIMEOUT_MS)
    assert dialog.table.item(0, 2).text() == "3"
    assert dialog.table.item(0, 1).text() == "Backup made by hand"
    assert dialog.folder_label.text() == str(app_home / "backups")
    dialog.restore_selected()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=RESULT_TIMEOUT_MS)
    assert "now holds 3 readings" in dialogs_log.texts("information")[-1]
    settle(qtbot, window.history_view)
    assert window.history_view.model.rowCount() == 3
    assert [b.reason for b in window.history.backups()] == ["before-restore", "manual"]


def test_a_lost_history_is_restored_from_the_window_and_saving_works_again(
        qtbot, make_window, app_home: Path, dialogs_log) -> None:
    db = app_home / "history.sqlite3"
    _fill(db, 4)
    with History(db) as h:
        h.backup()
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    window = make_window()
    assert window.history is None and "backups" in window.history_error
    dialog = _dialog(window)
    assert not dialog.empty_button.isHidden()  # offered only when the history is lost
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1 and not dialog.busy,
                    timeout=RESULT_TIMEOUT_MS)
    dialog.restore_selected()
    qtbot.waitUntil(lambda: window.history is not None, timeout=RESULT_TIMEOUT_MS)
    assert window.ops.available and window.service.store is window.history
    assert window.history.count() == 4
    settle(qtbot, window.history_view)
    assert window.history_view.isEnabled() and window.history_view.model.rowCount() == 4


def test_back_up_now_runs_off_the_gui_thread(qtbot, make_window, app_home: Path,
                                             monkeypatch) -> None:
    _fill(app_home / "history.sqlite3", 2)
    window = make_window()
    threads = []
    real = backup_service.backup_now

    def spy(store, folder=None):
        threads.append(threading.current_thread())
        return real(store, folder)

    monkeypatch.setattr(backup_service, "backup_now", spy)
    messages: list[str] = []
    window.safety.status.connect(messages.append)
    window.commands.backup_now.trigger()
    qtbot.waitUntil(lambda: any("checked: 2 readings" in m for m in messages),
                    timeout=RESULT_TIMEOUT_MS)
    assert threads and threads[0] is not threading.main_thread()
    assert len(list((app_home / "backups").glob("history-*.sqlite3"))) == 1


def test_the_daily_backup_is_made_once_a_day(qtbot, make_window, app_home: Path) -> None:
    _fill(app_home / "history.sqlite3", 1)
    window = make_window()
    messages: list[str] = []
    window.safety.status.connect(messages.append)
    window.safety.daily()
    qtbot.waitUntil(lambda: bool(messages), timeout=RESULT_TIMEOUT_MS)
    assert messages == ["Today's backup was made and checked: 1 reading."]
    assert backup_service.daily_backup(window.history) is None  # not twice the same day


def test_journal_deleted_while_the_window_runs_is_put_back_and_said(
        qtbot, make_window, app_home: Path, dialogs_log) -> None:
    db = app_home / "history.sqlite3"
    _fill(db, 1)
    window = make_window()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink()
    window.safety.look()
    qtbot.waitUntil(lambda: bool(dialogs_log.texts("warning")), timeout=RESULT_TIMEOUT_MS)
    assert "none was lost" in dialogs_log.texts("warning")[0]
    assert db.with_name(db.name + "-wal").exists()
