"""Issue 14, finding 8 ("no backup: one failing disk loses every reading"): verified, private,
rotated online copies, made before every migration and restorable."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import stat
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bench.durability import make_reading as bench_reading
from cxr_desktop.core.storage import list_backups, restore_history
from cxr_desktop.core.storage.safeguards import BackupError, BackupInfo
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.core.storage.sqlite import backup as backups
from cxr_desktop.core.storage.sqlite.schema import SCHEMA_VERSION
from tests.core.storage.helpers import make_reading

V1_FIXTURE = Path(__file__).resolve().parent / "storage" / "data" / "history_v1.sqlite3"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def test_a_backup_is_verified_private_and_described(db: Path) -> None:
    with SqliteHistory(db) as h:
        for i in range(5):
            h.add(make_reading(patient_id=f"P{i}"))
        info = h.backup()
    assert info.readings == 5 and info.reason == "manual" and info.schema_version == SCHEMA_VERSION
    assert info.path.parent == db.parent / "backups"
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backups.manifest_path(info.path).stat().st_mode) == 0o600
    manifest = json.loads(backups.manifest_path(info.path).read_text())
    assert manifest["integrity_check"] == "ok" and manifest["table_rows"]["readings"] == 5
    conn = sqlite3.connect(f"{info.path.as_uri()}?mode=ro", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal
    assert conn.execute("SELECT COUNT(*) FROM reading_images").fetchone()[0] == 5
    conn.close()
    assert list_backups(db.parent / "backups") == [info]


def test_backups_go_to_the_chosen_folder(db: Path, tmp_path: Path) -> None:
    (tmp_path / "usb").mkdir()  # the drive is plugged in; its folder for us is made
    usb = tmp_path / "usb" / "cxr"
    with SqliteHistory(db, backup_folder=usb) as h:
        h.add(make_reading())
        info = h.backup()
        assert h.backups() == [info] and info.path.parent == usb


def test_saves_go_on_during_a_backup_and_the_copy_is_one_snapshot(db: Path, monkeypatch) -> None:
    rng = random.Random(1)
    with SqliteHistory(db) as h:
        for i in range(200):
            h.add(bench_reading("b", i, rng)[0])
        monkeypatch.setattr(backups, "STEP_PAGES", 64)  # many steps, with their pauses
        saved: list[int] = []
        stop = threading.Event()

        def saver() -> None:
            while not stop.is_set():
                saved.append(h.add(bench_reading("during", len(saved), rng)[0]))

        thread = threading.Thread(target=saver)
        thread.start()
        try:
            info = h.backup()
        finally:
            stop.set()
            thread.join()
        assert saved, "no save went through while the backup ran"
        assert 200 <= info.readings <= 200 + len(saved)
        assert info.table_rows["readings"] == info.table_rows["reading_images"]
        assert h.count() == 200 + len(saved)


def test_a_copy_that_fails_its_check_is_deleted_and_reported(db: Path, monkeypatch) -> None:
    with SqliteHistory(db) as h:
        h.add(make_reading())
        real = backups.copy_database

        def bad_copy(source, target, **kw):  # a backup disk that loses what it is given
            counts = real(source, target, **kw)
            with open(target, "r+b") as handle:
                handle.truncate(4096)
            return counts

        monkeypatch.setattr(backups, "copy_database", bad_copy)
        with pytest.raises(BackupError) as info:
            h.backup()
        assert "did not pass its check" in info.value.message
        assert list((db.parent / "backups").iterdir()) == []


def _fake(folder: Path, when: datetime, reason: str = "daily") -> Path:
    path = backups._final_name(folder, when, reason)  # noqa: SLF001 - the real naming
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY)")
    conn.close()
    info = BackupInfo(path, when.isoformat(), 0, reason, 2, path.stat().st_size, {"readings": 0})
    backups.write_manifest(info, folder / "history.sqlite3")
    return path


def test_rotation_keeps_7_daily_4_weekly_and_every_rescued_copy(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    made = {day: _fake(folder, now - timedelta(days=day)) for day in range(60)}
    second_today = _fake(folder, now - timedelta(hours=1))
    by_hand = [_fake(folder, now - timedelta(days=d, hours=5), "manual") for d in range(4)]
    migrations = [_fake(folder, now - timedelta(days=d, hours=3), "before-migration")
                  for d in range(5)]
    rescued = _fake(folder, now - timedelta(days=90), "rescued")
    backups.rotate(folder)
    left = {p for p in folder.iterdir() if p.suffix == ".sqlite3"}
    assert {made[d] for d in range(7)} <= left and second_today not in left
    weekly = [p for d, p in made.items() if d >= 7 and p in left]
    assert len(weekly) == 4
    assert [p in left for p in migrations] == [True, True, True, False, False]
    assert [p in left for p in by_hand] == [True, True, True, False]
    assert rescued in left
    assert len(left) == 7 + 4 + 3 + 3 + 1
    assert all(backups.manifest_path(p).exists() for p in left)
    assert not [p for p in folder.iterdir() if p.suffix == ".json"
                and p.with_suffix("") not in left]


def test_restore_sets_the_current_history_aside_and_every_connection_sees_it(db: Path) -> None:
    with SqliteHistory(db) as h, SqliteHistory(db) as other:
        first = [h.add(make_reading(patient_id=f"A{i}")) for i in range(3)]
        snapshot = h.backup()
        h.add(make_reading(patient_id="after the backup"))
        h.update_review(first[0], note="reviewed after")
        aside = h.restore(snapshot)
        assert aside.reason == "before-restore" and aside.readings == 4
        assert [r.patient_id for r in other.iter_readings()] == ["A0", "A1", "A2"]
        assert h.get(first[0]).note == ""
        assert other.add(make_reading(patient_id="next")) > 3
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with SqliteHistory(db) as h:  # the set-aside copy can be restored in turn (undo)
        h.restore(aside)
        assert h.count() == 4


def test_a_damaged_backup_is_refused_and_the_history_left_alone(db: Path) -> None:
    with SqliteHistory(db) as h:
        h.add(make_reading())
        info = h.backup()
        with open(info.path, "r+b") as handle:
            handle.seek(4096)
            handle.write(b"\xff" * 4096)
        with pytest.raises(BackupError) as error:
            h.restore(info)
        assert "damaged" in error.value.message
        assert h.count() == 1 and [b.reason for b in h.backups()] == ["manual"]


def test_a_backup_is_made_before_every_migration(db: Path) -> None:
    db.parent.mkdir(parents=True)
    shutil.copyfile(V1_FIXTURE, db)
    conn = sqlite3.connect(V1_FIXTURE)
    rows = conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
    conn.close()
    with SqliteHistory(db) as h:
        assert h.info().schema_version == SCHEMA_VERSION
        (before,) = h.backups()
    assert before.reason == "before-migration" and before.schema_version == 1
    assert before.readings == rows
    with SqliteHistory(db) as h:  # nothing to migrate: no new copy
        assert len(h.backups()) == 1
    h, _aside = restore_history(db, before)  # the old version's copy restores, is migrated
    with h:
        assert h.info().schema_version == SCHEMA_VERSION and h.count() == rows


def test_backups_of_a_missing_history_can_be_listed_without_opening_it(db: Path) -> None:
    with SqliteHistory(db) as h:
        h.add(make_reading())
        made = h.backup()
    assert list_backups(db.parent / "backups")[0].path == made.path
    os.remove(made.path.with_name(made.path.name + ".json"))  # a copy without its manifest
    (again,) = list_backups(db.parent / "backups")
    assert again.readings == 1 and again.reason == "manual"
    assert abs(datetime.fromisoformat(again.taken_utc).timestamp() - time.time()) < 120
