"""Issue 15's SQLite migration (reading keys, review versions, accounts, audit) on a history
written by the previous version of the app.

``data/history_v2.sqlite3`` was made by main's own code at commit 7e8c6e8 (schema v2):
``cxr-desktop predict --save`` on a Normal and a COVID-19 sample with the shipped model, then a
review of reading 1 and a patient correction of reading 2 through ``SqliteHistory``.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.audit import AuditEvent
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.core.storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, _v3_clinic_network

V2_FILE = Path(__file__).with_name("data") / "history_v2.sqlite3"
V2_COLUMNS = (
    "id", "created_utc", "patient_id", "patient_name", "source_path", "file_sha256", "file_format",
    "width", "height", "probabilities", "label", "uncertain", "out_of_distribution", "ood_score",
    "model_name", "model_version", "model_sha256", "inference_ms", "note", "confirmed_label",
    "reviewed_utc", "ood_reason", "cautions", "search_text",
)


def raw(path: Path) -> tuple[list[tuple], list[tuple]]:
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
    assert conn.execute("PRAGMA user_version").fetchone()[0] <= MIGRATIONS.index(_v3_clinic_network)  # before it
    conn.close()
    return target


def test_a_v2_history_gains_keys_and_versions_and_loses_nothing(v2_copy: Path) -> None:
    before = raw(v2_copy)
    with SqliteHistory(v2_copy) as history:
        assert history.info().schema_version == SCHEMA_VERSION
        readings = sorted(history.iter_readings(), key=lambda r: r.id)
        assert [r.id for r in readings] == [1, 2]
        uids = [r.uid for r in readings]
        assert all(uuid.UUID(u).version == 4 for u in uids) and len(set(uids)) == 2
        assert [r.version for r in readings] == [1, 1]
        assert readings[0].note == "Agree, follow-up in 2 weeks"
        assert readings[1].patient_id == "V2-0002"
        assert history.find_uid(uids[1]) == 2
    assert raw(v2_copy) == before  # every stored field and image byte for byte


def test_the_upgraded_history_reviews_with_versions_and_audits(v2_copy: Path) -> None:
    with SqliteHistory(v2_copy) as history:
        reviewed = history.update_review(2, note="seen", expected_version=1)
        assert reviewed.version == 2
        assert [r.id for r in history.search(ReadingQuery(text="mensah"))] == [2]
        again = history.add(history.get(2))  # its key is known: not stored twice
        assert again == 2 and history.count() == 2
        history.append_audit(AuditEvent(actor="ama", action="review", reading_id=2))
        assert [e.action for e in history.search_audit()] == ["review"]
        conn = sqlite3.connect(v2_copy)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
        conn.close()
