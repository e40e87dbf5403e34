"""Issue 14, finding 3: a damaged history is never used or written.

On main, with 4 KB overwritten in the middle of the file, ``integrity_check`` reported "invalid
page number", yet the history was listed and new readings were written into it; no damaged file
was ever set aside. Here: the file is checked when opened and in the background, set aside
unchanged, what can be read is saved (with its ids) into a new history, completed from the
newest backup, and the person is told how many readings were kept and lost.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bench.durability import make_reading as bench_reading
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.safeguards import DamagedHistoryError
from cxr_desktop.core.storage.sqlite import SqliteHistory, integrity
from cxr_desktop.core.storage.sqlite.salvage import indexed_ids

PAGE = 4096


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill(db: Path, count: int, start: int = 0) -> list[int]:
    rng = random.Random(start)
    with SqliteHistory(db) as h:
        return [h.add(bench_reading("d", start + i, rng)[0]) for i in range(count)]


def checkpointed(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def overwrite(db: Path, page: int, seed: int = 0) -> None:
    """4 KB of random bytes over page ``page`` (1-based), as a failing disk or a stray write."""
    with open(db, "r+b") as handle:  # no connection is open: nothing's locks to drop
        handle.seek((page - 1) * PAGE)
        handle.write(random.Random(seed).randbytes(PAGE))


def problems(db: Path) -> str:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return " ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()


def readable_ids(db: Path) -> set[int]:
    """The oracle: readings whose row SQLite itself can still read, one by one."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    found = set()
    for rid in indexed_ids(conn, "readings") | set(range(1, 400)):
        try:
            if conn.execute("SELECT * FROM readings WHERE id = ?", (rid,)).fetchone():
                found.add(rid)
        except sqlite3.DatabaseError:
            pass
    conn.close()
    return found


def table_pages(db: Path, table: str) -> list[int]:
    """Interior and leaf pages of a table's b-tree (from its root, through SQLite's dbstat when
    available, else by walking the file's page headers)."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT pageno, pagetype FROM dbstat WHERE name = ?", (table,)).fetchall()
        return [p for p, kind in rows if kind in ("internal", "leaf")]
    except sqlite3.OperationalError:
        pytest.skip("SQLite without the dbstat table")
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


def test_4kb_overwritten_in_the_middle_is_set_aside_and_never_written(db: Path) -> None:
    fill(db, 150)
    checkpointed(db)
    pages = db.stat().st_size // PAGE
    assert any(_breaks(db, p) for p in range(pages // 2, pages))
    damaged_sha = sha(db)
    assert "invalid page number" in problems(db) or "malformed" in problems(db)
    keepable = readable_ids(db)
    with SqliteHistory(db) as h:
        (notice,) = h.notices()
        assert isinstance(notice, DamagedHistoryError)
        assert "damaged" in notice.message and "set it aside" in notice.message
        kept = {r.id for r in h.iter_readings()}
        new_id = h.add(bench_reading("after", 0, random.Random(9))[0])
    assert keepable <= kept  # every reading SQLite could still read is kept, with its id
    assert new_id == max(kept) + 1
    assert notice.set_aside is not None and sha(notice.set_aside) == damaged_sha  # untouched
    assert integrity.full_check(db).ok is True
    assert f"holds {len(kept)} readings" in notice.message


def _breaks(db: Path, page: int) -> bool:
    """Damage ``page`` in a copy; keep it when integrity_check then fails."""
    copy = db.with_name("probe.sqlite3")
    copy.write_bytes(db.read_bytes())
    overwrite(copy, page)
    bad = problems(copy) != "ok"
    copy.unlink()
    if bad:
        overwrite(db, page)
    return bad


def test_damaged_readings_page_rows_come_back_from_the_backup(db: Path) -> None:
    ids = fill(db, 300)
    with SqliteHistory(db) as h:
        h.backup()
    checkpointed(db)
    leaves = table_pages(db, "readings")
    overwrite(db, leaves[len(leaves) // 2], seed=3)  # a page of reading rows
    with SqliteHistory(db) as h:
        (notice,) = h.notices()
        kept = {r.id for r in h.iter_readings()}
    assert kept == set(ids)  # unreadable rows taken from the backup, ids kept
    assert "came from the backup" in notice.message and notice.lost == 0


def test_without_a_backup_the_message_says_how_many_readings_were_lost(db: Path) -> None:
    ids = fill(db, 300)
    checkpointed(db)
    leaves = table_pages(db, "readings")
    overwrite(db, leaves[len(leaves) // 2], seed=4)
    keepable = readable_ids(db)
    with SqliteHistory(db) as h:
        (notice,) = h.notices()
        kept = {r.id for r in h.iter_readings()}
    assert kept == keepable and kept < set(ids)
    lost = len(ids) - len(kept)
    assert notice.lost == lost and f"{lost} readings could not be read" in notice.message


def test_damage_found_by_the_background_check_is_repaired_when_alone(db: Path,
                                                                     monkeypatch) -> None:
    fill(db, 120)
    checkpointed(db)
    images = table_pages(db, "reading_images")
    monkeypatch.setattr(integrity, "OPEN_CHECK_BUDGET_S", 0.0)  # a huge file: no time at open
    with SqliteHistory(db) as h:
        overwrite(db, images[-1], seed=5)  # a stray write while the app runs
        h._conn.execute("PRAGMA wal_checkpoint")  # noqa: SLF001 - nothing cached hides it
        found = h.verify()
        assert len(found) == 1 and isinstance(found[0], DamagedHistoryError)
        assert found[0].set_aside is not None
        assert h.count() == 120
        h.add(bench_reading("after", 0, random.Random(1))[0])
    assert integrity.full_check(db).ok is True


def test_damage_found_while_another_window_uses_it_stops_saving(db: Path) -> None:
    fill(db, 60)
    checkpointed(db)
    pages = table_pages(db, "reading_images")
    with SqliteHistory(db) as h, SqliteHistory(db):
        overwrite(db, pages[-1], seed=6)
        (found,) = h.verify()
        assert "nothing more is saved" in found.message
        with pytest.raises(DamagedHistoryError):
            h.add(bench_reading("x", 0, random.Random(2))[0])
        assert h.count() == 60  # still readable


def test_a_damaged_history_on_a_read_only_disk_is_refused(db: Path, monkeypatch) -> None:
    fill(db, 40)
    checkpointed(db)
    overwrite(db, table_pages(db, "readings")[-1], seed=7)
    monkeypatch.setattr("os.access", lambda path, mode: False)  # root ignores chmod
    with pytest.raises(DamagedHistoryError) as info:
        SqliteHistory(db)
    assert "read-only" in info.value.message


def test_the_open_check_is_bounded_and_reports_unfinished(db: Path) -> None:
    fill(db, 30)
    conn = integrity.open_for_check(db)
    try:
        assert integrity.check_at_open(conn, budget_s=5.0).ok is True
        assert integrity.check_at_open(conn, budget_s=0.0).ok is None
    finally:
        conn.close()


def test_readings_keep_their_fields_through_a_salvage(db: Path) -> None:
    fill(db, 20)
    with SqliteHistory(db) as h:
        h.update_review(5, note="salvaged note", confirmed_label="Normal")
        before = [replace(r) for r in h.iter_readings()]
    checkpointed(db)
    overwrite(db, table_pages(db, "reading_images")[-1], seed=8)
    with SqliteHistory(db) as h:
        assert h.notices()
        assert list(h.iter_readings()) == before
        assert [r.id for r in h.search(ReadingQuery(text="salvaged"))] == [5]  # index rebuilt


def test_readings_kept_without_their_images_are_counted_in_the_message(db: Path) -> None:
    fill(db, 120)
    checkpointed(db)
    leaves = [p for p in table_pages(db, "reading_images")]
    overwrite(db, leaves[len(leaves) // 2], seed=9)
    with SqliteHistory(db) as h:
        (notice,) = h.notices()
        without = [r.id for r in h.iter_readings() if h.get(r.id).preview_png is None]
    assert without, "the damaged page held no image"
    assert f"The images of {len(without)} readings could not be read." in notice.message or (
        len(without) == 1 and "The images of 1 reading could not be read." in notice.message)
