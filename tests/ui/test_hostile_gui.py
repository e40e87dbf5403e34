"""Hostile environment, GUI side: the window still opens, says what is wrong, damages nothing.

(The core and command-line side is in tests/core/test_hostile_env.py; the damaged model is in
tests/ui/test_app.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from cxr_desktop.ui.app import create_main_window
from tests.core.test_hostile_env import (
    make_newer_history,
    remount_ro,
    sha,
    small_reading,
    snapshot,
    tmpfs,
)


def test_read_only_data_folder_opens_the_history_read_only(
    qtbot, tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, dialogs_log
) -> None:
    with tmpfs(tmp_path / "home") as home:
        db = home / "history.sqlite3"
        with History(db) as history:
            for n in range(3):
                history.add(small_reading(n))
        before = snapshot(db)
        for leftover in ("history.sqlite3-wal", "history.sqlite3-shm"):  # from snapshot's reader
            (home / leftover).unlink(missing_ok=True)
        remount_ro(home)
        monkeypatch.setenv("CXR_DESKTOP_HOME", str(home))
        window = create_main_window(model_dir=tiny_model_dir)
        qtbot.addWidget(window)
        assert window.history is not None and window.history.read_only
        assert window.history_error is None and window.classifier is not None
        assert window.history.count() == 3
        qtbot.wait(50)
        assert dialogs_log.titles("critical") == []
        window.close()
        assert snapshot(db) == before


def test_newer_history_keeps_the_window_and_the_file(
    qtbot, app_home: Path, tiny_model_dir: Path, dialogs_log
) -> None:
    db = make_newer_history(app_home / "history.sqlite3")
    digest = sha(db)
    window = create_main_window(model_dir=tiny_model_dir)
    qtbot.addWidget(window)
    assert window.history is None and "newer version" in (window.history_error or "")
    assert window.classifier is not None  # readings can still be made, just not saved
    qtbot.waitUntil(lambda: dialogs_log.calls != [], timeout=10_000)
    assert any("newer version" in text for text in dialogs_log.texts())
    window.close()
    assert sha(db) == digest


def test_unwritable_log_file_prints_no_logging_tracebacks(tmp_path, capsys, restore_logging):
    """Regression: a log folder that exists but cannot be written printed "--- Logging error ---"
    with a traceback for every log line."""
    import logging

    from cxr_desktop.ui.logging_setup import LOG_FILE, setup_logging

    folder = tmp_path / "logs"
    (folder / LOG_FILE).mkdir(parents=True)  # the log "file" is a folder: opening it fails, even as root
    setup_logging(log_folder=folder)
    logging.getLogger("cxr_desktop.test").warning("a line that cannot be written to the file")
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
