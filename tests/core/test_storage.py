from __future__ import annotations

import csv
import dataclasses
import errno
import multiprocessing
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from cxr_desktop.core import storage
from cxr_desktop.core.errors import NewerDatabaseError, StorageError
from cxr_desktop.core.storage import (
    MIGRATIONS,
    SCHEMA_VERSION,
    UNSET,
    History,
    ReadingQuery,
    reading_from_prediction,
)
from cxr_desktop.core.types import OOD_LABEL, ImageMetadata, Prediction, Reading, XrayImage


def make_reading(**overrides) -> Reading:
    values = dict(
        id=None,
        created_utc="2026-03-04T05:06:07.123456+00:00",
        source_path="/data/xrays/chest 1.png",
        file_sha256="ab" * 32,
        file_format="PNG",
        width=2000,
        height=2400,
        probabilities={"COVID-19": 0.7, "Normal": 0.2, "Viral_Pneumonia": 0.1},
        label="COVID-19",
        uncertain=False,
        out_of_distribution=False,
        ood_score=0.42,
        model_name="cxr-net",
        model_version="1.2.3",
        model_sha256="cd" * 32,
        patient_id="PID-001",
        patient_name="Doe^Jane",
        preview_png=b"\x89PNG preview",
        heatmap_png=b"\x89PNG heatmap",
        thumbnail_png=b"\x89PNG thumb",
        inference_ms=123.5,
        note="",
        confirmed_label=None,
        reviewed_utc=None,
    )
    values.update(overrides)
    return Reading(**values)


def at(day: int, hour: int = 12, minute: int = 0) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc).isoformat(timespec="microseconds")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def history(db_path: Path):
    with History(db_path) as h:
        yield h


# ---------------------------------------------------------------------------------------------
# add / get
# ---------------------------------------------------------------------------------------------


def test_add_get_roundtrip_all_fields(history: History) -> None:
    original = make_reading(
        note="cough 3 weeks",
        confirmed_label="Normal",
        reviewed_utc="2026-03-05T01:02:03.000004+00:00",
    )
    new_id = history.add(original)
    assert isinstance(new_id, int) and new_id > 0
    got = history.get(new_id)
    assert got == dataclasses.replace(original, id=new_id)


def test_add_ignores_given_id_and_assigns_increasing_ids(history: History) -> None:
    first = history.add(make_reading(id=999))
    second = history.add(make_reading(id=999))
    assert (first, second) == (1, 2)
    assert history.get(999) is None


def test_add_minimal_reading_with_nones(history: History) -> None:
    reading = make_reading(
        source_path=None,
        file_sha256=None,
        file_format=None,
        width=None,
        height=None,
        ood_score=None,
        patient_id=None,
        patient_name=None,
        preview_png=None,
        heatmap_png=None,
        thumbnail_png=None,
        inference_ms=None,
    )
    new_id = history.add(reading)
    assert history.get(new_id) == dataclasses.replace(reading, id=new_id)


def test_add_normalizes_timestamps_to_utc(history: History) -> None:
    a = history.add(make_reading(created_utc="2026-03-04T05:06:07Z"))
    b = history.add(make_reading(created_utc="2026-03-04T07:06:07+02:00"))
    c = history.add(make_reading(created_utc="2026-03-04T05:06:07"))
    expected = "2026-03-04T05:06:07.000000+00:00"
    assert {history.get(i).created_utc for i in (a, b, c)} == {expected}


def test_add_rejects_a_bad_timestamp(history: History) -> None:
    with pytest.raises(ValueError):
        history.add(make_reading(created_utc="yesterday"))


def test_get_missing_returns_none(history: History) -> None:
    assert history.get(12345) is None


def test_committed_row_visible_to_another_connection(db_path: Path) -> None:
    with History(db_path) as writer, History(db_path) as reader:
        new_id = writer.add(make_reading())
        assert reader.get(new_id) is not None


# ---------------------------------------------------------------------------------------------
# search / count
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def populated(history: History) -> History:
    rows = [
        make_reading(created_utc=at(1), patient_id="A-100", patient_name="Smith^John", label="Normal"),
        make_reading(created_utc=at(2), patient_id="B-200", patient_name="José Álvarez", label="COVID-19"),
        make_reading(
            created_utc=at(3), patient_id="C_300", patient_name="Kim", label=OOD_LABEL,
            out_of_distribution=True, note="hand x-ray, 100% wrong",
        ),
        make_reading(created_utc=at(4, 23, 59), patient_id="D-400", patient_name=None, label="Normal"),
        make_reading(created_utc=at(5, 0, 0), patient_id=None, patient_name="smithson", label="Viral_Pneumonia"),
    ]
    for row in rows:
        history.add(row)
    return history


def ids(readings: list[Reading]) -> list[int]:
    return [r.id for r in readings]


def test_search_default_is_newest_first(populated: History) -> None:
    assert ids(populated.search()) == [5, 4, 3, 2, 1]
    assert ids(populated.search(ReadingQuery(descending=False))) == [1, 2, 3, 4, 5]


def test_search_text_is_case_insensitive_over_id_name_note(populated: History) -> None:
    assert ids(populated.search(ReadingQuery(text="SMITH"))) == [5, 1]
    assert ids(populated.search(ReadingQuery(text="b-2"))) == [2]
    assert ids(populated.search(ReadingQuery(text="HAND X"))) == [3]
    assert ids(populated.search(ReadingQuery(text="  kim  "))) == [3]
    assert populated.search(ReadingQuery(text="nobody")) == []


def test_search_text_unicode_case_folding(populated: History) -> None:
    assert ids(populated.search(ReadingQuery(text="JOSÉ"))) == [2]
    assert ids(populated.search(ReadingQuery(text="álvarez"))) == [2]


def test_search_text_escapes_like_wildcards(populated: History) -> None:
    assert ids(populated.search(ReadingQuery(text="%"))) == [3]  # only the note has a '%'
    assert ids(populated.search(ReadingQuery(text="_"))) == [3]  # only C_300 has an underscore
    assert ids(populated.search(ReadingQuery(text="C_3"))) == [3]
    assert populated.search(ReadingQuery(text="A_1")) == []  # '_' is not 'any character'
    assert populated.search(ReadingQuery(text="\\")) == []


def test_search_by_label(populated: History) -> None:
    assert ids(populated.search(ReadingQuery(label="Normal"))) == [4, 1]
    assert ids(populated.search(ReadingQuery(label=OOD_LABEL))) == [3]
    assert populated.search(ReadingQuery(label="Nothing")) == []


def test_search_by_date_range_inclusive(populated: History) -> None:
    q = ReadingQuery(date_from="2026-03-02", date_to="2026-03-04", descending=False)
    assert ids(populated.search(q)) == [2, 3, 4]  # 4 is at 23:59 on the last day
    assert ids(populated.search(ReadingQuery(date_from="2026-03-05"))) == [5]
    assert ids(populated.search(ReadingQuery(date_to="2026-03-01"))) == [1]
    q = ReadingQuery(date_from="2026-03-02T12:00:00Z", date_to="2026-03-03T12:00:00+00:00")
    assert ids(populated.search(q)) == [3, 2]
    # a bound with another offset is converted to UTC: 14:00+02:00 is 12:00 UTC
    assert ids(populated.search(ReadingQuery(date_to="2026-03-01T14:00:00+02:00"))) == [1]
    assert ids(populated.search(ReadingQuery(date_to="2026-03-01T11:59:59"))) == []


def test_search_rejects_a_bad_date(populated: History) -> None:
    with pytest.raises(ValueError):
        populated.search(ReadingQuery(date_from="March"))


def test_search_by_reviewed(populated: History) -> None:
    populated.update_review(2, note="seen")
    assert ids(populated.search(ReadingQuery(reviewed=True))) == [2]
    assert ids(populated.search(ReadingQuery(reviewed=False))) == [5, 4, 3, 1]
    assert populated.count(ReadingQuery(reviewed=None)) == 5


def test_search_filters_combine(populated: History) -> None:
    q = ReadingQuery(text="smith", label="Normal", date_from="2026-03-01", date_to="2026-03-01")
    assert ids(populated.search(q)) == [1]


def test_search_paging_and_count(populated: History) -> None:
    pages = [
        ids(populated.search(ReadingQuery(limit=2, offset=offset, descending=False)))
        for offset in (0, 2, 4, 6)
    ]
    assert pages == [[1, 2], [3, 4], [5], []]
    assert populated.count() == 5
    assert populated.count(ReadingQuery(limit=1, offset=3)) == 5  # paging ignored
    assert populated.count(ReadingQuery(label="Normal")) == 2
    assert populated.count(ReadingQuery(text="smith")) == 2


def test_search_ordering_by_whitelisted_column_with_stable_ties(history: History) -> None:
    for pid in ["b", "a", "b", "c", "a"]:
        history.add(make_reading(patient_id=pid, created_utc=at(1)))  # same time: ties by id
    asc = history.search(ReadingQuery(order_by="patient_id", descending=False))
    assert [(r.patient_id, r.id) for r in asc] == [("a", 2), ("a", 5), ("b", 1), ("b", 3), ("c", 4)]
    desc = history.search(ReadingQuery(order_by="created_utc"))
    assert ids(desc) == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("column", ["note; DROP TABLE readings", "probabilities", "nope"])
def test_search_rejects_order_by_outside_whitelist(history: History, column: str) -> None:
    with pytest.raises(ValueError):
        history.search(ReadingQuery(order_by=column))


def test_search_returns_thumbnail_but_no_large_images(history: History) -> None:
    new_id = history.add(make_reading())
    (row,) = history.search()
    assert row.id == new_id
    assert row.thumbnail_png == b"\x89PNG thumb"
    assert row.preview_png is None and row.heatmap_png is None
    full = history.get(new_id)
    assert full.preview_png == b"\x89PNG preview" and full.heatmap_png == b"\x89PNG heatmap"


# ---------------------------------------------------------------------------------------------
# review / delete
# ---------------------------------------------------------------------------------------------


def test_update_review_persists_across_reopen(db_path: Path) -> None:
    with History(db_path) as h:
        new_id = h.add(make_reading())
        updated = h.update_review(new_id, note="Agree, refer", confirmed_label="Normal")
        assert updated.note == "Agree, refer" and updated.confirmed_label == "Normal"
        assert updated.reviewed_utc is not None
        reviewed = datetime.fromisoformat(updated.reviewed_utc)
        assert reviewed.tzinfo is not None
        assert abs(reviewed - datetime.now(timezone.utc)) < timedelta(minutes=5)
    with History(db_path) as h:
        assert h.get(new_id) == updated


def test_update_review_unset_keeps_and_none_clears(history: History) -> None:
    new_id = history.add(make_reading())
    history.update_review(new_id, note="first", confirmed_label="Normal")
    kept = history.update_review(new_id, note="second")
    assert kept.note == "second" and kept.confirmed_label == "Normal"
    kept = history.update_review(new_id, confirmed_label=UNSET)
    assert kept.note == "second" and kept.confirmed_label == "Normal"
    cleared = history.update_review(new_id, confirmed_label=None)
    assert cleared.note == "second" and cleared.confirmed_label is None
    assert cleared.reviewed_utc is not None


def test_update_review_missing_raises(history: History) -> None:
    with pytest.raises(StorageError) as info:
        history.update_review(77, note="x")
    assert "no longer in the history" in str(info.value)


def test_update_patient_keeps_id_time_and_review(db_path: Path) -> None:
    with History(db_path) as h:
        new_id = h.add(make_reading())
        reviewed = h.update_review(new_id, note="seen", confirmed_label="Normal")
        changed = h.update_patient(new_id, patient_id="NEW-1", patient_name="Nova^Ana")
        assert changed == dataclasses.replace(reviewed, patient_id="NEW-1", patient_name="Nova^Ana")
        cleared = h.update_patient(new_id, patient_id=None, patient_name=None)
        assert (cleared.patient_id, cleared.patient_name) == (None, None)
        with pytest.raises(StorageError):
            h.update_patient(999, patient_id="x", patient_name=None)
    with History(db_path) as h:
        assert h.get(new_id) == cleared


def test_delete_removes_reading_and_its_images(history: History, db_path: Path) -> None:
    keep = history.add(make_reading())
    gone = history.add(make_reading())
    assert history.delete(gone) is True
    assert history.delete(gone) is False
    assert history.get(gone) is None
    assert history.get(keep) is not None
    raw = sqlite3.connect(db_path)
    try:
        assert raw.execute("SELECT reading_id FROM reading_images").fetchall() == [(keep,)]
    finally:
        raw.close()


# ---------------------------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_csv_contents(history: History, tmp_path: Path) -> None:
    a = history.add(make_reading(created_utc=at(1), patient_name="Renée, \"Q\"\nline2"))
    b = history.add(
        make_reading(
            created_utc=at(2),
            label=OOD_LABEL,
            out_of_distribution=True,
            uncertain=True,
            probabilities={"COVID-19": 0.1, "Normal": 0.2, "Other": 0.7},
        )
    )
    history.update_review(b, note="not a chest", confirmed_label="Normal")
    out = tmp_path / "export.csv"
    assert history.export_csv(out) == 2
    with open(out, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "id", "created_utc", "patient_id", "patient_name", "source_path", "file_sha256",
        "file_format", "width", "height", "label",
        "p_COVID-19", "p_Normal", "p_Other", "p_Viral_Pneumonia",
        "uncertain", "out_of_distribution", "ood_score", "model_name", "model_version",
        "model_sha256", "inference_ms", "note", "confirmed_label", "reviewed_utc",
    ]  # fmt: skip
    rows = read_csv(out)
    assert [int(r["id"]) for r in rows] == [a, b]  # oldest first
    first, second = rows
    assert first["patient_name"] == "Renée, \"Q\"\nline2"
    assert first["created_utc"] == at(1)
    assert float(first["p_COVID-19"]) == 0.7 and first["p_Other"] == ""
    assert first["uncertain"] == "0" and first["out_of_distribution"] == "0"
    assert first["width"] == "2000" and float(first["ood_score"]) == 0.42
    assert first["model_sha256"] == "cd" * 32
    assert second["label"] == OOD_LABEL and second["out_of_distribution"] == "1"
    assert second["p_Viral_Pneumonia"] == "" and float(second["p_Other"]) == 0.7
    assert second["note"] == "not a chest" and second["confirmed_label"] == "Normal"
    assert second["reviewed_utc"]
    assert "preview" not in " ".join(header) and "thumbnail" not in " ".join(header)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_export_csv_guards_against_formula_injection(history: History, tmp_path: Path) -> None:
    history.add(
        make_reading(
            patient_id="=HYPERLINK(\"http://evil\")",
            patient_name="+SUM(A1)",
            note="@cmd",
            source_path="-2+3",
        )
    )
    history.add(make_reading(patient_id="ok-=", note="a=b"))
    out = tmp_path / "out.csv"
    history.export_csv(out)
    first, second = read_csv(out)
    assert first["patient_id"] == "'=HYPERLINK(\"http://evil\")"
    assert first["patient_name"] == "'+SUM(A1)"
    assert first["note"] == "'@cmd"
    assert first["source_path"] == "'-2+3"
    assert second["patient_id"] == "ok-=" and second["note"] == "a=b"
    assert float(first["inference_ms"]) == 123.5  # numbers stay numbers


def test_export_csv_writes_all_matching_rows_not_one_page(history: History, tmp_path: Path) -> None:
    for i in range(7):
        history.add(make_reading(patient_id=f"keep-{i}" if i % 2 == 0 else f"drop-{i}"))
    out = tmp_path / "some.csv"
    n = history.export_csv(out, ReadingQuery(text="keep", limit=2, offset=1, descending=False))
    assert n == 4
    assert [r["patient_id"] for r in read_csv(out)] == ["keep-0", "keep-2", "keep-4", "keep-6"]


def test_export_csv_replaces_an_existing_file(history: History, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old content that is longer than the new one\n" * 100)
    assert history.export_csv(out) == 0
    assert read_csv(out) == []
    assert out.read_text(encoding="utf-8-sig").startswith("id,created_utc,")


def test_export_csv_to_an_impossible_place_raises_storage_error(history: History, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StorageError) as info:
        history.export_csv(blocker / "out.csv")
    assert "could not be exported" in str(info.value)


# ---------------------------------------------------------------------------------------------
# schema, migrations, bad files
# ---------------------------------------------------------------------------------------------


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_migrations_list_matches_schema_version() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 1
    assert all(isinstance(sql, str) and sql.strip() for sql in MIGRATIONS)


def test_new_file_is_created_with_latest_schema(db_path: Path) -> None:
    with History(db_path):
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
    with History(db_path) as h:
        new_id = h.add(make_reading())
    assert user_version(db_path) == SCHEMA_VERSION
    with History(db_path) as h:  # second open: nothing to do, data intact
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
    # The schema module is where History reads them (the package only re-exports them).
    monkeypatch.setattr(storage.schema, "MIGRATIONS", [*MIGRATIONS, "CREATE TABLE x (a); SELECT * FROM nope;"])
    monkeypatch.setattr(storage.schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StorageError):
        History(db_path)
    assert user_version(db_path) == SCHEMA_VERSION  # v1 committed, v2 rolled back whole
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
        History(db_path)
    assert isinstance(info.value, StorageError)
    assert "newer version" in str(info.value)
    assert db_path.read_bytes() == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_non_database_file_raises_storage_error(db_path: Path) -> None:
    db_path.write_bytes(b"this is a text file, not a database\n" * 20)
    before = db_path.read_bytes()
    with pytest.raises(StorageError) as info:
        History(db_path)
    assert not isinstance(info.value, NewerDatabaseError)
    assert "damaged or is not a CXR Desktop history" in str(info.value)
    assert db_path.read_bytes() == before


def test_corrupt_database_body_raises_storage_error(db_path: Path) -> None:
    with History(db_path) as h:
        h.add(make_reading())
    data = bytearray(db_path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # keep the magic header, wreck everything else
    db_path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    with pytest.raises(StorageError):
        with History(db_path) as h:
            h.search()


def test_unwritable_folder_raises_storage_error(tmp_path: Path) -> None:
    # chmod does not stop root, but a path "inside" a regular file fails for everyone.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StorageError) as info:
        History(blocker / "sub" / "history.sqlite3")
    assert str(info.value).startswith("The reading history could not be opened:")


def test_database_path_taken_by_a_folder(tmp_path: Path) -> None:
    (tmp_path / "history.sqlite3").mkdir()
    with pytest.raises(StorageError):
        History(tmp_path / "history.sqlite3")


def test_full_disk_gives_a_readable_error_and_history_stays_usable(history: History) -> None:
    history.add(make_reading())
    pages = history.pragma("page_count")
    history._conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # simulate a full disk
    big = make_reading(preview_png=bytes(np.random.default_rng(0).integers(0, 256, 200_000, np.uint8)))
    with pytest.raises(StorageError) as info:
        history.add(big)
    assert str(info.value) == (
        "The reading history could not be saved: the disk is full. Free some disk space and try again."
    )
    assert history.count() == 1  # nothing half-written
    history._conn.execute("PRAGMA max_page_count = 1073741823")
    assert history.add(make_reading()) > 0


def test_closed_history_raises_storage_error(db_path: Path) -> None:
    h = History(db_path)
    h.close()
    h.close()  # idempotent
    with pytest.raises(StorageError):
        h.count()


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "read-only"),
        (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (sqlite3.OperationalError("database is locked"), "another program"),
        (sqlite3.DatabaseError("file is not a database"), "damaged"),
        (sqlite3.OperationalError("disk I/O error"), "disk could not be read or written"),
    ],
)
def test_error_messages_are_readable(exc: BaseException, words: str) -> None:
    error = storage._storage_error(exc, "save", "/somewhere")
    assert isinstance(error, StorageError)
    assert str(error).startswith("The reading history could not be saved: ")
    assert words in str(error)
    assert "sqlite" not in str(error).lower() and "errno" not in str(error).lower()
    assert error.detail and "/somewhere" in error.detail


def test_pragmas_wal_foreign_keys_full_sync(history: History) -> None:
    assert history.pragma("journal_mode") == "wal"
    assert history.pragma("foreign_keys") == 1
    assert history.pragma("synchronous") == 2  # FULL
    assert history.pragma("busy_timeout") >= 5000


def test_default_path_comes_from_paths(app_home: Path) -> None:
    with History() as h:
        h.add(make_reading())
    assert (app_home / "history.sqlite3").is_file()


def test_patient_names_never_reach_the_log(
    history: History, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="cxr_desktop")
    new_id = history.add(make_reading(patient_name="Secret^Person", patient_id="SECRET-ID"))
    history.update_review(new_id, note="x")
    history.export_csv(tmp_path / "x.csv")
    history.delete(new_id)
    assert "Secret" not in caplog.text and "SECRET-ID" not in caplog.text


# ---------------------------------------------------------------------------------------------
# concurrency
# ---------------------------------------------------------------------------------------------


def _add_many(path: str, tag: str, n: int, barrier=None) -> None:
    with History(Path(path)) as h:
        if barrier is not None:
            barrier.wait(timeout=60)  # both writers start together
        for i in range(n):
            h.add(make_reading(patient_id=f"{tag}-{i}"))


def _open_at_once(path: str, barrier) -> None:
    barrier.wait(timeout=60)
    with History(Path(path)) as h:
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
        with History(path) as h:
            assert h.count() == 6 and h.pragma("journal_mode") == "wal"


def test_two_connections_in_threads_lose_nothing(db_path: Path) -> None:
    History(db_path).close()
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
    with History(db_path) as h:
        assert h.count() == 80
        assert len({r.patient_id for r in h.search(ReadingQuery(limit=1000))}) == 80


def test_one_history_shared_by_threads(history: History) -> None:
    errors: list[BaseException] = []

    def worker(tag: str) -> None:
        try:
            for i in range(25):
                new_id = history.add(make_reading(patient_id=f"{tag}-{i}"))
                assert history.get(new_id).patient_id == f"{tag}-{i}"
                history.search(ReadingQuery(limit=5))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(str(t),)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert history.count() == 75


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
    with History(db_path) as h:
        assert h.count() == 60
        assert h.count(ReadingQuery(text="p-")) == 30
        assert h.pragma("user_version") == SCHEMA_VERSION


# ---------------------------------------------------------------------------------------------
# Prediction -> Reading
# ---------------------------------------------------------------------------------------------


def make_image(width: int = 1000, height: int = 800, **meta) -> XrayImage:
    display = (np.arange(width * height, dtype=np.uint32).reshape(height, width) % 251).astype(np.uint8)
    metadata = ImageMetadata(
        format=meta.pop("format", "DICOM"), width=width, height=height, bit_depth=12,
        photometric="MONOCHROME2", **meta,
    )  # fmt: skip
    return XrayImage(
        pixels=display.astype(np.float32), display=display, metadata=metadata,
        source_path="/scans/img.dcm", sha256="ef" * 32,
    )  # fmt: skip


def make_prediction(image: XrayImage, ood: bool = False, heatmap: bool = True) -> Prediction:
    return Prediction(
        labels=("COVID-19", "Normal", "Viral_Pneumonia"),
        probabilities=(0.2, 0.5, 0.3),
        label="Normal",
        confidence=0.5,
        uncertain=True,
        out_of_distribution=ood,
        ood_score=1.7 if ood else 0.3,
        heatmap=np.full(image.display.shape, 200, np.uint8) if heatmap else None,
        model_name="cxr-net",
        model_version="1.0.0",
        model_sha256="12" * 32,
        timings_ms={"preprocess": 1.0, "inference": 10.0, "total": 12.5},
    )


def png_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        assert img.mode == "L"
        return img.size


@pytest.fixture
def imaging():
    return pytest.importorskip("cxr_desktop.core.imaging", reason="imaging.py not written yet")


def test_reading_from_prediction(imaging, history: History) -> None:
    image = make_image(1000, 800, patient_id="DCM-1", patient_name="Dicom^Name")
    now = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=3)))
    reading = reading_from_prediction(image, make_prediction(image), now=now)
    assert reading.id is None
    assert reading.created_utc == "2026-05-06T04:08:09.123456+00:00"
    assert reading.label == "Normal" and reading.uncertain and not reading.out_of_distribution
    assert reading.probabilities == {"COVID-19": 0.2, "Normal": 0.5, "Viral_Pneumonia": 0.3}
    assert (reading.patient_id, reading.patient_name) == ("DCM-1", "Dicom^Name")
    assert (reading.source_path, reading.file_sha256, reading.file_format) == (
        "/scans/img.dcm", "ef" * 32, "DICOM",
    )  # fmt: skip
    assert (reading.width, reading.height) == (1000, 800)
    assert (reading.model_name, reading.model_version, reading.model_sha256) == (
        "cxr-net", "1.0.0", "12" * 32,
    )  # fmt: skip
    assert reading.inference_ms == 12.5 and reading.ood_score == 0.3
    width, height = png_size(reading.preview_png)
    assert width == 512 and abs(height - 410) <= 1
    assert png_size(reading.heatmap_png) == png_size(reading.preview_png)
    assert max(png_size(reading.thumbnail_png)) <= 96
    new_id = history.add(reading)
    assert history.get(new_id) == dataclasses.replace(reading, id=new_id)


def test_reading_from_prediction_ood_and_explicit_patient(imaging) -> None:
    image = make_image(300, 200, patient_id="DCM-1", patient_name="Dicom^Name")
    reading = reading_from_prediction(
        image, make_prediction(image, ood=True, heatmap=False), patient_id="typed", patient_name="Typed"
    )
    assert reading.label == OOD_LABEL and reading.out_of_distribution
    assert (reading.patient_id, reading.patient_name) == ("typed", "Typed")
    assert reading.heatmap_png is None
    assert png_size(reading.preview_png) == (300, 200)  # small images are not enlarged
    assert max(png_size(reading.thumbnail_png)) <= 96
    created = datetime.fromisoformat(reading.created_utc)
    assert created.utcoffset() == timedelta(0) and "." in reading.created_utc


def test_reading_from_prediction_heatmap_of_another_size(imaging) -> None:
    image = make_image(700, 900)
    pred = dataclasses.replace(make_prediction(image), heatmap=np.zeros((7, 7), np.uint8))
    reading = reading_from_prediction(image, pred)
    assert png_size(reading.heatmap_png) == png_size(reading.preview_png)
    assert reading.patient_id is None and reading.patient_name is None
