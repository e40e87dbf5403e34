"""What only the embedded SQLite backend does: its file, schema and migrations, WAL, pragmas,
error messages, and several processes on one file. The behaviour every backend shares is in
``contract.py`` (run for SQLite by ``test_sqlite_contract.py``)."""

from __future__ import annotations

import errno
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from cxr_desktop.core.errors import NewerDatabaseError, StorageError
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.safeguards import DamagedHistoryError
from cxr_desktop.core.storage.sqlite import SqliteHistory, schema
from cxr_desktop.core.storage.sqlite.errors import storage_error
from cxr_desktop.core.storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from tests.core.storage.helpers import make_reading


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def history(db_path: Path):
    with SqliteHistory(db_path) as h:
        yield h


def test_delete_removes_the_images_row_too(history: SqliteHistory, db_path: Path) -> None:
    keep = history.add(make_reading())
    gone = history.add(make_reading())
    history.delete(gone)
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT reading_id FROM reading_images").fetchall() == [(keep,)]
    finally:
        raw.close()


def test_text_search_uses_the_trigram_index(history: SqliteHistory) -> None:
    from cxr_desktop.core.storage.sqlite import sql

    history.add(make_reading(patient_name="Nana Ama Serwaa"))
    where, params = sql.where(ReadingQuery(text="serwaa"), indexed=True)
    plan = " ".join(str(row) for row in history._reader.execute(
        f"EXPLAIN QUERY PLAN SELECT r.id FROM readings r{where}", params))
    assert "readings_fts" in plan and "VIRTUAL TABLE INDEX" in plan
    assert history.count(ReadingQuery(text="SERWAA")) == 1


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_migrations_list_matches_schema_version() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 1
    assert all(callable(m) or (isinstance(m, str) and m.strip()) for m in MIGRATIONS)


def test_new_file_is_created_with_latest_schema(db_path: Path) -> None:
    with SqliteHistory(db_path):
        pass
    assert user_version(db_path) == SCHEMA_VERSION


@pytest.mark.parametrize("kind", ["empty-file", "v0-database"])
def test_old_database_is_migrated_and_reopen_is_idempotent(db_path: Path, kind: str) -> None:
    if kind == "empty-file":
        db_path.write_bytes(b"")
    else:
        conn = sqlite3.connect(db_path)
        conn.execute("CREATE TABLE unrelated (x)")
        conn.commit()
        conn.close()
        assert user_version(db_path) == 0
    with SqliteHistory(db_path) as h:
        new_id = h.add(make_reading())
    assert user_version(db_path) == SCHEMA_VERSION
    with SqliteHistory(db_path) as h:  # second open: nothing to do, data intact
        assert h.get(new_id) is not None
        assert h.pragma("user_version") == SCHEMA_VERSION
    conn = sqlite3.connect(db_path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    assert {"readings", "reading_images"} <= tables
    assert {
        "readings_created_utc", "readings_patient_id", "readings_label", "readings_reviewed"
    } <= indexes  # fmt: skip


def test_failed_migration_rolls_back(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, "CREATE TABLE x (a); SELECT * FROM nope;"])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StorageError):
        SqliteHistory(db_path)
    assert user_version(db_path) == SCHEMA_VERSION  # the real ones committed, the bad one rolled back
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'x'").fetchone() is None
    conn.close()


def test_newer_database_is_refused_and_left_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, future TEXT)")
    conn.execute("INSERT INTO readings (future) VALUES ('from the future')")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(NewerDatabaseError) as info:
        SqliteHistory(db_path)
    assert isinstance(info.value, StorageError)
    assert "newer version" in str(info.value)
    assert db_path.read_bytes() == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_non_database_file_is_set_aside_unchanged_and_a_new_history_opens(db_path: Path) -> None:
    """Issue 14: a damaged file is never used; it is kept, byte for byte, beside the new one."""
    db_path.write_bytes(b"this is a text file, not a database\n" * 20)
    before = db_path.read_bytes()
    with SqliteHistory(db_path) as h:
        (notice,) = h.notices()
        assert h.count() == 0
    assert isinstance(notice, DamagedHistoryError) and notice.set_aside is not None
    assert "damaged" in notice.message and notice.set_aside.name in notice.message
    assert notice.set_aside.read_bytes() == before


def test_corrupt_database_body_is_set_aside(db_path: Path) -> None:
    with SqliteHistory(db_path) as h:
        h.add(make_reading())
    data = bytearray(db_path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # keep the magic header, wreck everything else
    db_path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    with SqliteHistory(db_path) as h:
        (notice,) = h.notices()
        assert isinstance(notice, DamagedHistoryError)
        assert h.search() == []
    assert notice.set_aside.read_bytes() == bytes(data)


def test_unwritable_folder_raises_storage_error(tmp_path: Path) -> None:
    # chmod does not stop root, but a path "inside" a regular file fails for everyone.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StorageError) as info:
        SqliteHistory(blocker / "sub" / "history.sqlite3")
    assert str(info.value).startswith("The reading history could not be opened. ")


def test_database_path_taken_by_a_folder(tmp_path: Path) -> None:
    (tmp_path / "history.sqlite3").mkdir()
    with pytest.raises(StorageError):
        SqliteHistory(tmp_path / "history.sqlite3")


def test_full_disk_gives_a_readable_error_and_history_stays_usable(history: SqliteHistory) -> None:
    history.add(make_reading())
    pages = history.pragma("page_count")
    history._conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # simulate a full disk
    big = make_reading(preview_png=bytes(np.random.default_rng(0).integers(0, 256, 200_000, np.uint8)))
    with pytest.raises(StorageError) as info:
        history.add(big)
    assert str(info.value) == (
        "The reading history could not be saved. The disk is full. Free some disk space and try again."
    )
    assert history.count() == 1  # nothing half-written
    history._conn.execute("PRAGMA max_page_count = 1073741823")
    assert history.add(make_reading()) > 0


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "The disk is full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "read-only"),
        (sqlite3.OperationalError("database or disk is full"), "The disk is full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (sqlite3.OperationalError("database is locked"), "another program"),
        (sqlite3.DatabaseError("file is not a database"), "damaged"),
        (sqlite3.OperationalError("disk I/O error"), "disk could not be read or written"),
    ],
)


def test_error_messages_are_readable(exc: BaseException, words: str) -> None:
    error = storage_error(exc, "save", "/somewhere")
    assert isinstance(error, StorageError)
    assert str(error).startswith("The reading history could not be saved. ")
    assert words in str(error)
    assert "sqlite" not in str(error).lower() and "errno" not in str(error).lower()
    assert error.detail and "/somewhere" in error.detail


def test_pragmas_wal_foreign_keys_full_sync(history: SqliteHistory) -> None:
    assert history.pragma("journal_mode") == "wal"
    assert history.pragma("foreign_keys") == 1
    assert history.pragma("synchronous") == 2  # FULL
    assert history.pragma("busy_timeout") >= 5000


def test_default_path_comes_from_paths(app_home: Path) -> None:
    with SqliteHistory() as h:
        h.add(make_reading())
    assert (app_home / "history.sqlite3").is_file()


def _add_many(path: str, tag: str, n: int, barrier=None) -> None:
    with SqliteHistory(Path(path)) as h:
        if barrier is not None:
            barrier.wait(timeout=60)  # both writers start together
        for i in range(n):
            h.add(make_reading(patient_id=f"{tag}-{i}"))


def _open_at_once(path: str, barrier) -> None:
    barrier.wait(timeout=60)
    with SqliteHistory(Path(path)) as h:
        h.add(make_reading(patient_id="first-open"))


def test_processes_creating_the_same_new_history_at_once_all_succeed(db_path: Path) -> None:
    """Regression (CI, under load): switching a brand-new file to WAL answered "database is
    locked" at once, without waiting, when another process was creating it too."""
    context = multiprocessing.get_context("spawn")
    for attempt in range(3):
        path = db_path.with_name(f"new-{attempt}.sqlite3")
        barrier = context.Barrier(6)
        processes = [context.Process(target=_open_at_once, args=(str(path), barrier)) for _ in range(6)]
        for p in processes:
            p.start()
        for p in processes:
            p.join(timeout=120)
        assert [p.exitcode for p in processes] == [0] * 6
        with SqliteHistory(path) as h:
            assert h.count() == 6 and h.pragma("journal_mode") == "wal"


def test_two_connections_in_threads_lose_nothing(db_path: Path) -> None:
    SqliteHistory(db_path).close()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(tag: str) -> None:
        try:
            _add_many(str(db_path), tag, 40, barrier)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with SqliteHistory(db_path) as h:
        assert h.count() == 80
        assert len({r.patient_id for r in h.search(ReadingQuery(limit=1000))}) == 80


def test_two_processes_writing_at_once_lose_nothing(db_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processes = [
        context.Process(target=_add_many, args=(str(db_path), tag, 30, barrier))
        for tag in ("p", "q")
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    with SqliteHistory(db_path) as h:
        assert h.count() == 60
        assert h.count(ReadingQuery(text="p-")) == 30
        assert h.pragma("user_version") == SCHEMA_VERSION


def test_opening_a_second_history_keeps_this_process_s_locks(db_path: Path) -> None:
    """Regression: the header check read the file with Python's open(); closing that handle
    dropped every POSIX lock this process held on the history, so another process closing its
    connection took itself for the last user and deleted the write-ahead log under our feet."""
    import subprocess
    import sys

    with SqliteHistory(db_path) as first:
        first.add(make_reading())
        with SqliteHistory(db_path):  # a second open in the same process (backup, export, tests)
            pass
        code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                "c.execute('SELECT COUNT(*) FROM readings').fetchone(); c.close()")
        subprocess.run([sys.executable, "-c", code, str(db_path)], check=True, timeout=60)
        assert db_path.with_name(db_path.name + "-shm").exists()
        assert db_path.with_name(db_path.name + "-wal").exists()
        first.add(make_reading())
        assert first.count() == 2
