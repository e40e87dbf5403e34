"""The DICOM-facts migration (issue 11) on a history written by the previous version (v2).

``data/history_v2_for_dicom_facts.sqlite3`` was made by the v2 app itself (commit 48fa8b4): ``cxr-desktop
predict --save`` with the tiny test model on a PNG, a DICOM (Doe^Jane, with age, sex, study
date, institution and X-ray unit in its header) and a lateral DICOM, then a review and a patient
correction of reading 1. Opening it upgrades it in place; nothing stored is lost or rewritten;
the old readings have no facts (their files are not read again), new ones keep them.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.core.storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, _v5_dicom_facts
from tests.core.storage.contract_paperwork import FACTS

V2_FILE = Path(__file__).with_name("data") / "history_v2_for_dicom_facts.sqlite3"
V3 = MIGRATIONS.index(_v5_dicom_facts) + 1  # the lead renumbers at merge


V2_COLUMNS = (
    "id", "created_utc", "patient_id", "patient_name", "source_path", "file_sha256", "file_format",
    "width", "height", "probabilities", "label", "uncertain", "out_of_distribution", "ood_score",
    "model_name", "model_version", "model_sha256", "inference_ms", "note", "confirmed_label",
    "reviewed_utc", "ood_reason", "cautions", "search_text",
)


def dump(path: Path) -> tuple[list[tuple], list[tuple]]:
    """The values in v2's columns (later migrations add their own) and the images."""
    conn = sqlite3.connect(path)
    try:
        return (conn.execute(f"SELECT {', '.join(V2_COLUMNS)} FROM readings ORDER BY id").fetchall(),
                conn.execute("SELECT * FROM reading_images ORDER BY reading_id").fetchall())
    finally:
        conn.close()


@pytest.fixture
def v2_copy(tmp_path: Path) -> Path:
    target = tmp_path / "history.sqlite3"
    shutil.copyfile(V2_FILE, target)
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2 <= V3 - 1
    conn.close()
    return target


def test_a_v2_history_is_upgraded_in_place_and_loses_nothing(v2_copy: Path) -> None:
    before = dump(v2_copy)
    with SqliteHistory(v2_copy) as history:
        assert history.info().schema_version == SCHEMA_VERSION >= V3
        old = {i: history.get(i) for i in (1, 2, 3)}
    assert dump(v2_copy) == before  # every stored value and image, byte for byte
    assert old[1].note.startswith("Seen by Dr. Ama") and old[1].patient_id == "PID-0001"
    assert old[2].patient_name == "Doe, Jane" and old[3].out_of_distribution
    assert all(r.dicom is None for r in old.values())


def test_the_upgraded_history_keeps_facts_and_lists_the_worklist(v2_copy: Path) -> None:
    with SqliteHistory(v2_copy) as history:
        assert [r.id for r in history.to_review()] == [2, 3]  # 1 is confirmed; 2 is uncertain
        sha = history.get(2).file_sha256
        assert [r.id for r in history.find_same_image(file_sha256=sha)] == [2]
        copy = history.get(2)
        new_id = history.add(copy.__class__(**{**copy.__dict__, "dicom": FACTS, "uid": None}))  # a new reading, not the same one sent twice
        assert history.get(new_id).dicom == FACTS
    with SqliteHistory(v2_copy) as again:  # reopening does nothing more
        assert again.count() == 4 and again.get(new_id).dicom == FACTS
