"""``cxr-desktop history backup|restore`` and what the command line says about a damaged or lost
history (issue 14): one line each, never a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cxr_desktop.cli import main
from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.core.storage.helpers import make_reading


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def history(app_home: Path) -> Path:
    db = app_home / "history.sqlite3"
    with SqliteHistory(db) as h:
        for i in range(3):
            h.add(make_reading(patient_id=f"C{i}"))
    return db


def test_backup_and_list(capsys, history: Path) -> None:
    code, out, err = run(capsys, "history", "backup")
    assert code == 0, err
    assert out.startswith("Backup made and checked: ") and "(3 readings)" in out
    assert Path(out.split(": ", 1)[1].rsplit(" (", 1)[0]).is_file()
    code, out, _ = run(capsys, "history", "backup", "--list")
    (line,) = out.splitlines()
    assert code == 0 and line.split()[0] == "1" and "Backup made by hand" in line
    assert "3 readings" in line


def test_restore_lists_then_restores_by_number(capsys, history: Path) -> None:
    run(capsys, "history", "backup")
    with SqliteHistory(history) as h:
        h.add(make_reading(patient_id="later"))
    code, out, _ = run(capsys, "history", "restore")
    assert code == 0 and out.splitlines()[-1] == (
        "To restore one, run: cxr-desktop history restore NUMBER")
    code, out, err = run(capsys, "history", "restore", "1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "The history was restored: it now holds 3 readings."
    assert lines[1].startswith("The history as it was before is kept as the backup history-")
    with SqliteHistory(history) as h:
        assert h.count() == 3
    code, out, err = run(capsys, "history", "restore", "9")
    assert (code, out, err) == (2, "", "error: There is no backup 9.\n")


def test_a_lost_history_is_refused_in_one_line_and_restored_from_the_command_line(
        capsys, history: Path) -> None:
    run(capsys, "history", "backup")
    for suffix in ("", "-wal", "-shm"):
        history.with_name(history.name + suffix).unlink(missing_ok=True)
    history.write_bytes(b"")
    code, out, err = run(capsys, "history", "list")
    assert code == 2 and out == ""
    (line,) = err.splitlines()
    assert line.startswith("error: The reading history file is missing or empty")
    assert "cxr-desktop history restore" in line
    code, out, err = run(capsys, "history", "restore", "latest")
    assert code == 0, err
    assert out.splitlines() == ["The history was restored: it now holds 3 readings."]
    code, out, _ = run(capsys, "history", "list")
    assert code == 0 and len(out.splitlines()) == 3


def test_start_empty_instead_of_a_lost_history(capsys, history: Path) -> None:
    run(capsys, "history", "backup")
    for suffix in ("", "-wal", "-shm"):
        history.with_name(history.name + suffix).unlink(missing_ok=True)
    code, out, err = run(capsys, "history", "restore", "--start-empty")
    assert (code, out) == (0, "The history is open with 0 readings.\n"), err
    assert run(capsys, "history", "list")[:2] == (0, "No readings.\n")


def test_a_damaged_history_is_repaired_and_said_in_one_warning_line(capsys, history: Path) -> None:
    data = bytearray(history.read_bytes())
    data[100:] = random.Random(1).randbytes(len(data) - 100)
    history.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        history.with_name(history.name + suffix).unlink(missing_ok=True)
    code, out, err = run(capsys, "history", "list")
    assert code == 0 and out == "No readings.\n"
    (line,) = err.splitlines()
    assert line.startswith("warning: The reading history was damaged") and "Traceback" not in err
