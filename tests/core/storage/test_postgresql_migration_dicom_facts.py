"""Issue 11's migration on the clinic server (the twin of SQLite's ``_v5_dicom_facts``), on a
history written by the previous version's own code.

``data/clinic_v4.sql`` is a pg_dump of a clinic history made by main at commit 4647cc1 (schema
v4: issue 15 and issue 12; see ``data/make_clinic_v4_dump.py``): four readings with images (one
reviewed, one only noted, one not a chest X-ray, one made with a site calibration since rolled
back; two of the same file), an account, two audit events. Opening it upgrades it in place: no
stored value changes, the old readings have no DICOM facts, the worklist and the duplicate
search answer for them, and new readings keep their facts at once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.postgresql.schema import MIGRATIONS, SCHEMA_VERSION, V5_DICOM_FACTS
from tests.core.storage.contract_paperwork import FACTS
from tests.core.storage.test_postgresql_migration_site_profiles import schema_of

DUMP = Path(__file__).with_name("data") / "clinic_v4.sql"
OLD_TABLES = ("readings", "reading_images", "audit", "accounts", "site_profiles")


def raw(pg_server, schema: str) -> dict[str, list[tuple]]:
    with pg_server.admin(pg_server._shared_db) as conn:
        out = {table: conn.execute(f'SELECT * FROM "{schema}".{table} ORDER BY 1').fetchall()
               for table in OLD_TABLES}
        out["tables"] = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
            " ORDER BY 1", (schema,)).fetchall()]
        return out


@pytest.fixture
def previous_server_history(pg_server, pg_url: str) -> str:
    schema = schema_of(pg_url)
    with pg_server.admin(pg_server._shared_db) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute(DUMP.read_text(encoding="utf-8").replace("__SCHEMA__", f'"{schema}"'))
        version = conn.execute(f'SELECT version FROM "{schema}".cxr_schema').fetchone()[0]
    assert version == MIGRATIONS.index(V5_DICOM_FACTS)  # the version just before this one
    return pg_url


def test_the_previous_server_history_is_upgraded_in_place_and_loses_nothing(
        pg_server, previous_server_history: str) -> None:
    schema = schema_of(previous_server_history)
    before = raw(pg_server, schema)
    assert "reading_dicom" not in before["tables"] and len(before["readings"]) == 4
    with PostgresHistory(previous_server_history) as history:
        assert history.info().schema_version == SCHEMA_VERSION
        readings = {r.id: history.get(r.id) for r in history.iter_readings()}
        worklist = [r.id for r in history.to_review()]
        unconfirmed = history.count_to_review()
        same_file = [r.id for r in history.find_same_image(file_sha256="3" * 64)]
    after = raw(pg_server, schema)
    assert "reading_dicom" in after["tables"]
    for table in OLD_TABLES:
        assert after[table] == before[table], table
    assert sorted(readings) == [1, 2, 3, 4]
    assert all(r.dicom is None for r in readings.values())
    assert (readings[1].note, readings[1].confirmed_label, readings[1].version) == ("seen", "Normal", 2)
    assert readings[4].site_profile_id == 1 and readings[2].cautions == ("Portable film.",)
    assert worklist == [2, 4, 3] and unconfirmed == 3  # referred (oldest first), not a chest X-ray
    assert same_file == [4, 3]  # newest first


def test_new_readings_keep_their_facts_in_the_upgraded_history(previous_server_history: str) -> None:
    with PostgresHistory(previous_server_history) as history:
        old = history.get(2)
        new_id = history.add(dataclasses.replace(old, id=None, uid=None, version=1, note="",
                                                 reviewed_utc=None, dicom=FACTS))
        assert history.get(new_id).dicom == FACTS
        assert [r.id for r in history.find_same_image(sop_instance_uid=FACTS.sop_instance_uid)] == [new_id]
        assert history.get(2) == old  # the old reading is not touched
    with PostgresHistory(previous_server_history) as again:
        assert again.info().schema_version == SCHEMA_VERSION and again.get(new_id).dicom == FACTS
