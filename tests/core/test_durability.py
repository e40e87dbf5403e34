"""Durability of the history (CI size; ``python -m bench`` runs 60 kills and 3 x 200 writers).

A child process saving readings is killed with SIGKILL at random moments; afterwards the
database passes ``PRAGMA integrity_check`` and every reading whose ``add`` had returned is there,
unchanged. Several processes saving at once lose nothing and never see "database is locked".
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from bench.durability import check_database, run_concurrent, run_kills

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def test_sigkill_while_saving_loses_no_confirmed_reading(tmp_path: Path) -> None:
    report = run_kills(15, tmp_path, seed=11, max_delay_s=0.5)
    assert report.kills == 15
    assert report.confirmed > 0
    assert report.integrity_failures == []
    assert report.lost == 0
    assert report.reopen_failures == []
    assert report.child_errors == []
    assert report.rows_at_end >= report.confirmed


def test_processes_saving_at_once_lose_nothing_and_show_no_error(tmp_path: Path) -> None:
    report = run_concurrent(3, 40, tmp_path, seed=12)
    assert report.errors == [], report.errors  # no "database is locked" reaches anyone
    assert report.saved == 120 and report.rows == 120 and report.lost == 0
    assert report.integrity == "ok"
    assert report.reader_queries > 0


def test_the_checker_notices_a_lost_or_changed_reading(tmp_path: Path) -> None:
    """The durability check itself must be able to fail."""
    from bench.durability import writer_main

    db = tmp_path / "h.sqlite3"
    assert writer_main(str(db), "t", 3, 1) == 0
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, patient_id FROM readings ORDER BY id").fetchall()
    conn.close()
    expected = {rid: (pid, "0" * 16) for rid, pid in rows}  # wrong blob hashes
    integrity, lost = check_database(db, expected)
    assert integrity == "ok" and sorted(lost) == [r[0] for r in rows]
    expected = {999: ("t-999", "0" * 16)}
    assert check_database(db, expected, blobs_of=set())[1] == [999]


def test_check_accepts_a_writer_killed_before_it_created_the_schema(tmp_path: Path) -> None:
    """Regression (CI): the first kill landed before History() had migrated the new file."""
    db = tmp_path / "empty.sqlite3"
    sqlite3.connect(db).close()
    assert check_database(db, {}) == ("ok", [])
    integrity, lost = check_database(db, {1: ("p1", "sha")})
    assert integrity == "ok" and lost == [1]


# -- issue 14: damaged and lost histories, deleted journals (CI size of bench.durability) -------


def test_damaged_pages_lose_no_reading_that_sqlite_or_the_backup_still_holds(tmp_path: Path) -> None:
    from bench.durability_safety import run_damage

    report = run_damage(4, tmp_path, readings=80, seed=21)
    assert report.failures == []
    assert report.trials == 4 and report.detected_at_open + report.detected_later + \
        report.undetectable == 4
    assert report.lost_keepable == 0
    assert report.set_aside_changed == 0 and report.message_counts_wrong == 0


def test_the_damage_oracle_notices_a_salvage_that_drops_rows(tmp_path: Path, monkeypatch) -> None:
    """The torture test itself must be able to fail."""
    from bench.durability_safety import run_damage
    from cxr_desktop.core.storage.sqlite import salvage

    real = salvage.copy_table
    monkeypatch.setattr(salvage, "copy_table", lambda src, dst, table, backup, report: None
                        if table == "readings" else real(src, dst, table, backup, report))
    report = run_damage(2, tmp_path, readings=40, seed=22)
    assert report.lost_keepable > 0


def test_deleted_journal_loses_no_confirmed_reading_and_gives_no_id_twice(tmp_path: Path) -> None:
    from bench.durability_safety import run_journal

    report = run_journal(2, tmp_path, per_writer=20, seed=23)
    assert report.rounds == 2 and report.confirmed > 0
    assert report.lost == 0 and report.ids_given_twice == 0
    assert report.integrity == [] and report.errors == []
    assert report.put_back == 2


def test_a_lost_main_file_never_becomes_an_empty_history(tmp_path: Path) -> None:
    from bench.durability_safety import run_lost_main

    report = run_lost_main(4, tmp_path, seed=24)
    assert report.rounds + report.nothing_left == 4 and report.rounds > 0
    assert report.failures == []
    assert report.new_empty_made == 0 and report.lost_keepable == 0
