"""The contract every ``HistoryStore`` backend passes.

A backend's test module provides two fixtures, ``open_store`` (a callable that opens a new
connection to the same, initially empty, history) and ``store`` (one open store), and imports
every test from here: ``from tests.core.storage.contract import *``. Nothing here may name a
database engine.
"""

from __future__ import annotations

import csv
import dataclasses
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.storage import UNSET, HistoryStore, ReadingQuery
from cxr_desktop.core.types import OOD_LABEL
from tests.core.storage.helpers import at, ids, make_reading, read_csv


def test_add_get_roundtrip_all_fields(store: HistoryStore) -> None:
    original = make_reading(
        note="cough 3 weeks",
        confirmed_label="Normal",
        reviewed_utc="2026-03-05T01:02:03.000004+00:00",
    )
    new_id = store.add(original)
    assert isinstance(new_id, int) and new_id > 0
    got = store.get(new_id)
    assert got == dataclasses.replace(original, id=new_id)


def test_add_ignores_given_id_and_assigns_increasing_ids(store: HistoryStore) -> None:
    first = store.add(make_reading(id=999))
    second = store.add(make_reading(id=999))
    assert (first, second) == (1, 2)
    assert store.get(999) is None


def test_add_minimal_reading_with_nones(store: HistoryStore) -> None:
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
    new_id = store.add(reading)
    assert store.get(new_id) == dataclasses.replace(reading, id=new_id)


def test_add_normalizes_timestamps_to_utc(store: HistoryStore) -> None:
    a = store.add(make_reading(created_utc="2026-03-04T05:06:07Z"))
    b = store.add(make_reading(created_utc="2026-03-04T07:06:07+02:00"))
    c = store.add(make_reading(created_utc="2026-03-04T05:06:07"))
    expected = "2026-03-04T05:06:07.000000+00:00"
    assert {store.get(i).created_utc for i in (a, b, c)} == {expected}


def test_add_rejects_a_bad_timestamp(store: HistoryStore) -> None:
    with pytest.raises(ValueError):
        store.add(make_reading(created_utc="yesterday"))


def test_get_missing_returns_none(store: HistoryStore) -> None:
    assert store.get(12345) is None


def test_committed_row_visible_to_another_connection(open_store) -> None:
    with open_store() as writer, open_store() as reader:
        new_id = writer.add(make_reading())
        assert reader.get(new_id) is not None


@pytest.fixture
def populated(store: HistoryStore) -> HistoryStore:
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
        store.add(row)
    return store


def test_search_default_is_newest_first(populated: HistoryStore) -> None:
    assert ids(populated.search()) == [5, 4, 3, 2, 1]
    assert ids(populated.search(ReadingQuery(descending=False))) == [1, 2, 3, 4, 5]


def test_search_text_is_case_insensitive_over_id_name_note(populated: HistoryStore) -> None:
    assert ids(populated.search(ReadingQuery(text="SMITH"))) == [5, 1]
    assert ids(populated.search(ReadingQuery(text="b-2"))) == [2]
    assert ids(populated.search(ReadingQuery(text="HAND X"))) == [3]
    assert ids(populated.search(ReadingQuery(text="  kim  "))) == [3]
    assert populated.search(ReadingQuery(text="nobody")) == []


def test_search_text_unicode_case_folding(populated: HistoryStore) -> None:
    assert ids(populated.search(ReadingQuery(text="JOSÉ"))) == [2]
    assert ids(populated.search(ReadingQuery(text="álvarez"))) == [2]


def test_search_text_escapes_like_wildcards(populated: HistoryStore) -> None:
    assert ids(populated.search(ReadingQuery(text="%"))) == [3]  # only the note has a '%'
    assert ids(populated.search(ReadingQuery(text="_"))) == [3]  # only C_300 has an underscore
    assert ids(populated.search(ReadingQuery(text="C_3"))) == [3]
    assert populated.search(ReadingQuery(text="A_1")) == []  # '_' is not 'any character'
    assert populated.search(ReadingQuery(text="\\")) == []


def test_search_by_label(populated: HistoryStore) -> None:
    assert ids(populated.search(ReadingQuery(label="Normal"))) == [4, 1]
    assert ids(populated.search(ReadingQuery(label=OOD_LABEL))) == [3]
    assert populated.search(ReadingQuery(label="Nothing")) == []


def test_search_by_date_range_inclusive(populated: HistoryStore) -> None:
    q = ReadingQuery(date_from="2026-03-02", date_to="2026-03-04", descending=False)
    assert ids(populated.search(q)) == [2, 3, 4]  # 4 is at 23:59 on the last day
    assert ids(populated.search(ReadingQuery(date_from="2026-03-05"))) == [5]
    assert ids(populated.search(ReadingQuery(date_to="2026-03-01"))) == [1]
    q = ReadingQuery(date_from="2026-03-02T12:00:00Z", date_to="2026-03-03T12:00:00+00:00")
    assert ids(populated.search(q)) == [3, 2]
    # a bound with another offset is converted to UTC: 14:00+02:00 is 12:00 UTC
    assert ids(populated.search(ReadingQuery(date_to="2026-03-01T14:00:00+02:00"))) == [1]
    assert ids(populated.search(ReadingQuery(date_to="2026-03-01T11:59:59"))) == []


def test_search_rejects_a_bad_date(populated: HistoryStore) -> None:
    with pytest.raises(ValueError):
        populated.search(ReadingQuery(date_from="March"))


def test_search_by_reviewed(populated: HistoryStore) -> None:
    populated.update_review(2, note="seen")
    assert ids(populated.search(ReadingQuery(reviewed=True))) == [2]
    assert ids(populated.search(ReadingQuery(reviewed=False))) == [5, 4, 3, 1]
    assert populated.count(ReadingQuery(reviewed=None)) == 5


def test_search_filters_combine(populated: HistoryStore) -> None:
    q = ReadingQuery(text="smith", label="Normal", date_from="2026-03-01", date_to="2026-03-01")
    assert ids(populated.search(q)) == [1]


def test_search_paging_and_count(populated: HistoryStore) -> None:
    pages = [
        ids(populated.search(ReadingQuery(limit=2, offset=offset, descending=False)))
        for offset in (0, 2, 4, 6)
    ]
    assert pages == [[1, 2], [3, 4], [5], []]
    assert populated.count() == 5
    assert populated.count(ReadingQuery(limit=1, offset=3)) == 5  # paging ignored
    assert populated.count(ReadingQuery(label="Normal")) == 2
    assert populated.count(ReadingQuery(text="smith")) == 2


def test_search_ordering_by_whitelisted_column_with_stable_ties(store: HistoryStore) -> None:
    for pid in ["b", "a", "b", "c", "a"]:
        store.add(make_reading(patient_id=pid, created_utc=at(1)))  # same time: ties by id
    asc = store.search(ReadingQuery(order_by="patient_id", descending=False))
    assert [(r.patient_id, r.id) for r in asc] == [("a", 2), ("a", 5), ("b", 1), ("b", 3), ("c", 4)]
    desc = store.search(ReadingQuery(order_by="created_utc"))
    assert ids(desc) == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("column", ["note; DROP TABLE readings", "probabilities", "nope"])
def test_search_rejects_order_by_outside_whitelist(store: HistoryStore, column: str) -> None:
    with pytest.raises(ValueError):
        store.search(ReadingQuery(order_by=column))


def test_search_returns_thumbnail_but_no_large_images(store: HistoryStore) -> None:
    new_id = store.add(make_reading())
    (row,) = store.search()
    assert row.id == new_id
    assert row.thumbnail_png == b"\x89PNG thumb"
    assert row.preview_png is None and row.heatmap_png is None
    full = store.get(new_id)
    assert full.preview_png == b"\x89PNG preview" and full.heatmap_png == b"\x89PNG heatmap"


def test_update_review_persists_across_reopen(open_store) -> None:
    with open_store() as h:
        new_id = h.add(make_reading())
        updated = h.update_review(new_id, note="Agree, refer", confirmed_label="Normal")
        assert updated.note == "Agree, refer" and updated.confirmed_label == "Normal"
        assert updated.reviewed_utc is not None
        reviewed = datetime.fromisoformat(updated.reviewed_utc)
        assert reviewed.tzinfo is not None
        assert abs(reviewed - datetime.now(timezone.utc)) < timedelta(minutes=5)
    with open_store() as h:
        assert h.get(new_id) == updated


def test_update_review_unset_keeps_and_none_clears(store: HistoryStore) -> None:
    new_id = store.add(make_reading())
    store.update_review(new_id, note="first", confirmed_label="Normal")
    kept = store.update_review(new_id, note="second")
    assert kept.note == "second" and kept.confirmed_label == "Normal"
    kept = store.update_review(new_id, confirmed_label=UNSET)
    assert kept.note == "second" and kept.confirmed_label == "Normal"
    cleared = store.update_review(new_id, confirmed_label=None)
    assert cleared.note == "second" and cleared.confirmed_label is None
    assert cleared.reviewed_utc is not None


def test_update_review_missing_raises(store: HistoryStore) -> None:
    with pytest.raises(StorageError) as info:
        store.update_review(77, note="x")
    assert "no longer in the history" in str(info.value)


def test_update_patient_keeps_id_time_and_review(open_store) -> None:
    with open_store() as h:
        new_id = h.add(make_reading())
        reviewed = h.update_review(new_id, note="seen", confirmed_label="Normal")
        changed = h.update_patient(new_id, patient_id="NEW-1", patient_name="Nova^Ana")
        assert changed == dataclasses.replace(reviewed, patient_id="NEW-1", patient_name="Nova^Ana")
        cleared = h.update_patient(new_id, patient_id=None, patient_name=None)
        assert (cleared.patient_id, cleared.patient_name) == (None, None)
        with pytest.raises(StorageError):
            h.update_patient(999, patient_id="x", patient_name=None)
    with open_store() as h:
        assert h.get(new_id) == cleared


def test_delete_removes_reading_and_its_images(store: HistoryStore) -> None:
    keep = store.add(make_reading())
    gone = store.add(make_reading())
    assert store.delete(gone) is True
    assert store.delete(gone) is False
    assert store.get(gone) is None
    assert store.get(keep) is not None
    assert ids(store.search()) == [keep]


def test_export_csv_contents(store: HistoryStore, tmp_path: Path) -> None:
    a = store.add(make_reading(created_utc=at(1), patient_name="Renée, \"Q\"\nline2"))
    b = store.add(
        make_reading(
            created_utc=at(2),
            label=OOD_LABEL,
            out_of_distribution=True,
            uncertain=True,
            probabilities={"COVID-19": 0.1, "Normal": 0.2, "Other": 0.7},
        )
    )
    store.update_review(b, note="not a chest", confirmed_label="Normal")
    out = tmp_path / "export.csv"
    assert store.export_csv(out) == 2
    with open(out, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "id", "created_utc", "patient_id", "patient_name", "source_path", "file_sha256",
        "file_format", "width", "height", "label",
        "p_COVID-19", "p_Normal", "p_Other", "p_Viral_Pneumonia",
        "uncertain", "out_of_distribution", "ood_score", "model_name", "model_version",
        "model_sha256", "inference_ms", "note", "confirmed_label", "reviewed_utc", "ood_reason",
        "cautions",
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


def test_export_csv_guards_against_formula_injection(store: HistoryStore, tmp_path: Path) -> None:
    store.add(
        make_reading(
            patient_id="=HYPERLINK(\"http://evil\")",
            patient_name="+SUM(A1)",
            note="@cmd",
            source_path="-2+3",
        )
    )
    store.add(make_reading(patient_id="ok-=", note="a=b"))
    out = tmp_path / "out.csv"
    store.export_csv(out)
    first, second = read_csv(out)
    assert first["patient_id"] == "'=HYPERLINK(\"http://evil\")"
    assert first["patient_name"] == "'+SUM(A1)"
    assert first["note"] == "'@cmd"
    assert first["source_path"] == "'-2+3"
    assert second["patient_id"] == "ok-=" and second["note"] == "a=b"
    assert float(first["inference_ms"]) == 123.5  # numbers stay numbers


def test_export_csv_writes_all_matching_rows_not_one_page(store: HistoryStore, tmp_path: Path) -> None:
    for i in range(7):
        store.add(make_reading(patient_id=f"keep-{i}" if i % 2 == 0 else f"drop-{i}"))
    out = tmp_path / "some.csv"
    n = store.export_csv(out, ReadingQuery(text="keep", limit=2, offset=1, descending=False))
    assert n == 4
    assert [r["patient_id"] for r in read_csv(out)] == ["keep-0", "keep-2", "keep-4", "keep-6"]


def test_export_csv_replaces_an_existing_file(store: HistoryStore, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old content that is longer than the new one\n" * 100)
    assert store.export_csv(out) == 0
    assert read_csv(out) == []
    assert out.read_text(encoding="utf-8-sig").startswith("id,created_utc,")


def test_export_csv_to_an_impossible_place_raises_storage_error(store: HistoryStore, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StorageError) as info:
        store.export_csv(blocker / "out.csv")
    assert "could not be exported" in str(info.value)


def test_closed_history_raises_storage_error(open_store) -> None:
    h = open_store()
    h.close()
    h.close()  # idempotent
    with pytest.raises(StorageError):
        h.count()


def test_one_history_shared_by_threads(store: HistoryStore) -> None:
    errors: list[BaseException] = []

    def worker(tag: str) -> None:
        try:
            for i in range(25):
                new_id = store.add(make_reading(patient_id=f"{tag}-{i}"))
                assert store.get(new_id).patient_id == f"{tag}-{i}"
                store.search(ReadingQuery(limit=5))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(str(t),)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count() == 75


def test_patient_names_never_reach_the_log(
    store: HistoryStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="cxr_desktop")
    new_id = store.add(make_reading(patient_name="Secret^Person", patient_id="SECRET-ID"))
    store.update_review(new_id, note="x")
    store.export_csv(tmp_path / "x.csv")
    store.delete(new_id)
    assert "Secret" not in caplog.text and "SECRET-ID" not in caplog.text


def test_search_text_ignores_accents(populated: HistoryStore) -> None:
    assert ids(populated.search(ReadingQuery(text="jose alvarez"))) == [2]
    assert ids(populated.search(ReadingQuery(text="ALVA"))) == [2]
    assert populated.count(ReadingQuery(text="alv")) == 1


def test_search_text_follows_updates_of_note_and_patient(store: HistoryStore) -> None:
    new_id = store.add(make_reading(patient_id="P-1", patient_name="Ama Mensah", note=""))
    assert ids(store.search(ReadingQuery(text="mensah"))) == [new_id]
    store.update_review(new_id, note="pleural effusion suspected")
    assert ids(store.search(ReadingQuery(text="effusion"))) == [new_id]
    store.update_patient(new_id, patient_id="P-2", patient_name="Kofi Boateng")
    assert store.search(ReadingQuery(text="mensah")) == []
    assert ids(store.search(ReadingQuery(text="boateng"))) == [new_id]
    store.delete(new_id)
    assert store.search(ReadingQuery(text="boateng")) == []


def test_search_by_file_checksum(store: HistoryStore) -> None:
    a = store.add(make_reading(file_sha256="11" * 32))
    store.add(make_reading(file_sha256="22" * 32))
    c = store.add(make_reading(file_sha256="11" * 32))
    assert ids(store.search(ReadingQuery(file_sha256="11" * 32))) == [c, a]


def test_ood_reason_and_cautions_are_kept(store: HistoryStore) -> None:
    reading = make_reading(label=OOD_LABEL, out_of_distribution=True,
                           ood_reason="The file says this is a lateral view (LL).",
                           cautions=("The patient is a child.", "Second caution."))
    new_id = store.add(reading)
    assert store.get(new_id) == dataclasses.replace(reading, id=new_id)
    (listed,) = store.search()
    assert listed.ood_reason == reading.ood_reason and listed.cautions == reading.cautions


def test_iter_readings_gives_every_match_oldest_first_without_images(store: HistoryStore) -> None:
    for i in range(5):
        store.add(make_reading(patient_id=f"it-{i}", created_utc=at(i + 1)))
    got = list(store.iter_readings(ReadingQuery(text="it-", limit=2, descending=False)))
    assert [r.patient_id for r in store.iter_readings()][0] == "it-0"  # default: oldest first
    assert [r.patient_id for r in got] == [f"it-{i}" for i in range(5)]
    assert all(r.preview_png is None and r.thumbnail_png is None for r in got)


def test_info_names_the_backend_without_secrets(store: HistoryStore) -> None:
    info = store.info()
    assert info.backend and info.location and info.schema_version >= 2
    assert info.read_only is store.read_only is False
    assert "password" not in info.location.lower()


def test_is_a_history_store(store) -> None:
    assert isinstance(store, HistoryStore)
