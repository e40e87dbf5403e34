"""Issue 14, finding 4: the history's journal (``-wal``/``-shm``) deleted or left alone.

Each test reproduces one finding with real processes and real files. On main: confirmed saves of
another process were lost and their ids reused; an empty or missing main file beside a non-empty
journal became a new empty history (SQLite deletes that journal); a 0-byte file with backups was
taken as a new empty history. Nobody was told.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxr_desktop.core.storage import list_backups, restore_history
from cxr_desktop.core.storage.safeguards import HistoryMissingError, JournalVanishedError
from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.core.storage.helpers import make_reading

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="open files cannot be deleted there")

REPO_ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, sys
from tests.core.storage.helpers import make_reading
from cxr_desktop.core.storage.sqlite import SqliteHistory
h = SqliteHistory(sys.argv[1])
ids = [h.add(make_reading(patient_id=f"{sys.argv[2]}-{i}")) for i in range(int(sys.argv[3]))]
print(" ".join(map(str, ids)), flush=True)
if sys.argv[4] == "kill":
    os._exit(0)  # like a crash: the journal is left, nothing is checkpointed
h.close()
"""


def child_saves(db: Path, tag: str, count: int, end: str = "close") -> list[int]:
    """Another process saves ``count`` readings; returns the ids it was given (confirmed)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([sys.executable, "-c", CHILD, str(db), tag, str(count), end],
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    return [int(x) for x in done.stdout.split()]


def child_opens(db: Path) -> subprocess.CompletedProcess:
    code = ("import sys\nfrom cxr_desktop.core.storage.sqlite import SqliteHistory\n"
            "from tests.core.storage.helpers import make_reading\n"
            "try:\n    h = SqliteHistory(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e.message); sys.exit(3)\n"
            "print(h.add(make_reading(patient_id='late'))); h.close()\n")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=REPO_ROOT)


def wal(db: Path) -> Path:
    return db.with_name(db.name + "-wal")


def shm(db: Path) -> Path:
    return db.with_name(db.name + "-shm")


def patients(db: Path) -> dict[int, str]:
    with SqliteHistory(db) as h:
        return {r.id: r.patient_id for r in h.iter_readings()}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def test_journal_deleted_while_running_loses_nothing_and_reuses_no_id(db: Path) -> None:
    app = SqliteHistory(db)  # the window, open all along
    app.add(make_reading(patient_id="app-0"))
    theirs = child_saves(db, "cli", 5)  # another process's confirmed saves, still in the journal
    wal(db).unlink()
    shm(db).unlink()
    mine = app.add(make_reading(patient_id="app-1"))  # noticed before the write: put back
    assert mine not in theirs
    (notice,) = app.notices()
    assert isinstance(notice, JournalVanishedError) and "none was lost" in notice.message
    later = child_saves(db, "late", 2)  # a process started afterwards sees everything
    assert not set(later) & {1, mine, *theirs}
    app.close()
    stored = patients(db)
    assert [stored[i] for i in theirs] == [f"cli-{i}" for i in range(5)]
    assert stored[mine] == "app-1" and stored[1] == "app-0"
    assert [stored[i] for i in later] == ["late-0", "late-1"]
    assert len(stored) == 9
    rescued = [b for b in list_backups(db.parent / "backups") if b.reason == "rescued"]
    assert rescued and rescued[0].readings == 6  # copied before the write went ahead


def test_a_process_starting_after_the_deletion_is_refused_while_the_journal_is_held(
        db: Path) -> None:
    app = SqliteHistory(db)
    theirs = child_saves(db, "cli", 3)
    wal(db).unlink()
    shm(db).unlink()
    late = child_opens(db)  # on main it saved with id 1, then lost it when the app closed
    assert late.returncode == 3, late.stdout + late.stderr
    assert late.stdout.startswith("JournalVanishedError") and "not opened" in late.stdout
    app.notices()  # the window asks now and then: the journal is put back
    assert child_opens(db).returncode == 0
    app.close()
    stored = patients(db)
    assert [stored[i] for i in theirs] == ["cli-0", "cli-1", "cli-2"]
    assert sorted(stored.values()).count("late") == 1 and len(stored) == 4


def test_empty_main_file_beside_a_journal_is_not_made_a_new_history(db: Path) -> None:
    theirs = child_saves(db, "k", 4, end="kill")  # the journal holds the readings
    assert wal(db).stat().st_size > 0
    journal_bytes = wal(db).read_bytes()
    db.write_bytes(b"")  # 0 bytes: SQLite would take it for new and delete the journal
    with pytest.raises(HistoryMissingError) as info:
        SqliteHistory(db)
    assert "A backup holding 4 readings was made from it" in info.value.message
    assert db.stat().st_size == 0  # no new history was made over it
    (kept,) = db.parent.glob("history.sqlite3.orphan-*-wal")
    assert kept.read_bytes() == journal_bytes
    (recovered,) = list_backups(db.parent / "backups")
    assert recovered.reason == "recovered" and recovered.readings == 4
    with pytest.raises(HistoryMissingError):  # still not a new empty one: a backup exists
        SqliteHistory(db)
    store, _aside = restore_history(db, recovered)
    with store:
        assert sorted(r.patient_id for r in store.iter_readings()) == [f"k-{i}" for i in range(4)]
        assert sorted(r.id for r in store.iter_readings()) == theirs


def test_missing_main_file_beside_a_journal_is_not_made_a_new_history(db: Path) -> None:
    child_saves(db, "k", 3, end="kill")
    db.unlink()
    with pytest.raises(HistoryMissingError):
        SqliteHistory(db)
    assert not db.exists()
    assert [b.readings for b in list_backups(db.parent / "backups")] == [3]


def test_empty_file_with_backups_is_not_taken_for_a_new_history(db: Path) -> None:
    with SqliteHistory(db) as h:
        h.add(make_reading())
        h.backup()
    for path in (db, wal(db), shm(db)):
        path.unlink(missing_ok=True)
    db.write_bytes(b"")
    with pytest.raises(HistoryMissingError) as info:
        SqliteHistory(db)
    assert "there are backups" in info.value.message
    with SqliteHistory(db, new_if_missing=True) as h:  # the person chose to start anew
        assert h.count() == 0


def test_empty_file_with_nothing_beside_it_is_a_new_history(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"")
    with SqliteHistory(db) as h:
        assert h.count() == 0 and h.notices() == []


def test_a_lost_main_file_comes_back_whole_from_its_journal_and_the_last_backup(db: Path) -> None:
    """The journal holds only what was written since the last checkpoint; the backup the rest."""
    first = child_saves(db, "old", 3)
    with SqliteHistory(db) as h:
        h.backup()
    theirs = child_saves(db, "new", 2, end="kill")
    db.unlink()
    with pytest.raises(HistoryMissingError):
        SqliteHistory(db)
    recovered = next(b for b in list_backups(db.parent / "backups") if b.reason == "recovered")
    store, _aside = restore_history(db, recovered)
    with store:
        assert sorted(r.id for r in store.iter_readings()) == sorted(first + theirs)
