"""Schema v2 on a history written by the previous version (v1) of the app.

``data/history_v1.sqlite3`` was made by the v1 app itself (commit bd1549f): ``cxr-desktop
predict --save`` on a PNG, a DICOM (PatientName Doe^Jane) and a lateral DICOM, then a review
and a patient correction of reading 1. Opening it upgrades it in place; nothing stored is lost
or rewritten, and the new search finds the old readings.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.core.storage.sqlite.schema import SCHEMA_VERSION
from cxr_desktop.core.types import OOD_LABEL

V1_FILE = Path(__file__).with_name("data") / "history_v1.sqlite3"
V1_COLUMNS = (
    "id", "created_utc", "patient_id", "patient_name", "source_path", "file_sha256", "file_format",
    "width", "height", "probabilities", "label", "uncertain", "out_of_distribution", "ood_score",
    "model_name", "model_version", "model_sha256", "inference_ms", "note", "confirmed_label",
    "reviewed_utc",
)


def raw_rows(path: Path) -> tuple[list[tuple], list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        readings = conn.execute(f"SELECT {', '.join(V1_COLUMNS)} FROM readings ORDER BY id").fetchall()
        images = conn.execute("SELECT * FROM reading_images ORDER BY reading_id").fetchall()
        return readings, images
    finally:
        conn.close()


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    target = tmp_path / "history.sqlite3"
    shutil.copyfile(V1_FILE, target)
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    return target


def test_a_v1_history_is_upgraded_in_place_and_loses_nothing(v1_copy: Path) -> None:
    before = raw_rows(v1_copy)
    with SqliteHistory(v1_copy) as history:
        assert history.info().schema_version == SCHEMA_VERSION
        readings = {r.id: r for r in history.search(ReadingQuery(descending=False))}
    after = raw_rows(v1_copy)
    assert after == before  # every stored value and image, byte for byte
    assert sorted(readings) == [1, 2, 3]
    assert readings[1].note.startswith("Seen by Dr. Ama") and readings[1].confirmed_label == "Normal"
    assert readings[2].patient_name == "Doe^Jane"  # stored as v1 stored it, shown by the one rule
    assert readings[3].label == OOD_LABEL and readings[3].out_of_distribution
    assert readings[3].ood_reason is None and readings[3].cautions == ()  # v1 did not keep them


def test_the_upgraded_history_is_searchable_and_writable(v1_copy: Path) -> None:
    with SqliteHistory(v1_copy) as history:
        assert [r.id for r in history.search(ReadingQuery(text="doe"))] == [2]
        assert [r.id for r in history.search(ReadingQuery(text="jurgen"))] == [3]  # accents folded
        assert [r.id for r in history.search(ReadingQuery(text="follow-up"))] == [1]
        history.update_review(2, note="agree")
        assert [r.id for r in history.search(ReadingQuery(text="agree"))] == [2]
        new_id = history.add(history.get(1))
        assert new_id == 4 and history.get(new_id).preview_png == history.get(1).preview_png
    with SqliteHistory(v1_copy) as again:  # reopening does nothing more
        assert again.count() == 4 and again.info().schema_version == SCHEMA_VERSION
