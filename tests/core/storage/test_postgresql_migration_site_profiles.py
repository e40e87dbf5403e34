"""Issue 12's migration on the clinic server (the twin of SQLite's ``_v4_site_calibration``), on
a history written by the previous version's own code.

``data/clinic_v3.sql`` is a pg_dump of a clinic history made by main at commit 12dc98f (schema
v3, issue 15; see ``data/make_clinic_v3_dump.py``): three readings with images, two reviews,
an audit event. Opening it upgrades it in place; no stored value changes, the old readings say
"no site profile", and profiles and readings that record one can be stored at once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import unquote

import pytest

from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.postgresql.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    V4_SITE_CALIBRATION,
)

DUMP = Path(__file__).with_name("data") / "clinic_v3.sql"
OLD_TABLES = ("readings", "reading_images", "audit", "accounts")


def schema_of(url: str) -> str:
    return unquote(url).rsplit("search_path=", 1)[1].split(",", 1)[0]


def raw(pg_server, schema: str) -> dict[str, list[tuple]]:
    """Every table's rows, ordered, and the readings' columns."""
    with pg_server.admin(pg_server._shared_db) as conn:
        out = {}
        for table in OLD_TABLES:
            out[table] = conn.execute(f'SELECT * FROM "{schema}".{table} ORDER BY 1').fetchall()
        out["columns"] = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND"
            " table_name = 'readings' ORDER BY ordinal_position", (schema,)).fetchall()]
        return out


@pytest.fixture
def previous_server_history(pg_server, pg_url: str) -> str:
    schema = schema_of(pg_url)
    with pg_server.admin(pg_server._shared_db) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute(DUMP.read_text(encoding="utf-8").replace("__SCHEMA__", f'"{schema}"'))
        version = conn.execute(f'SELECT version FROM "{schema}".cxr_schema').fetchone()[0]
    assert version <= MIGRATIONS.index(V4_SITE_CALIBRATION)
    return pg_url


def test_the_previous_server_history_is_upgraded_in_place_and_loses_nothing(
        pg_server, previous_server_history: str) -> None:
    schema = schema_of(previous_server_history)
    before = raw(pg_server, schema)
    assert "site_profile_id" not in before["columns"] and len(before["readings"]) == 3
    with PostgresHistory(previous_server_history) as history:
        assert history.info().schema_version == SCHEMA_VERSION
        assert history.site_profiles() == [] and history.active_site_profile() is None
        readings = {r.id: r for r in history.iter_readings()}
    after = raw(pg_server, schema)
    assert {"site_profile_id", "model_probabilities"} <= set(after["columns"])
    width = len(before["columns"])
    assert [row[:width] for row in after["readings"]] == before["readings"]
    assert all(row[width:] == (None, None) for row in after["readings"])
    for table in OLD_TABLES[1:]:
        assert after[table] == before[table]
    assert sorted(readings) == [1, 2, 3]
    assert all(r.site_profile_id is None and r.model_probabilities is None
               for r in readings.values())
    assert (readings[1].note, readings[1].confirmed_label, readings[1].version) == ("seen", "Normal", 2)
    assert readings[2].confirmed_label == "Other" and readings[2].cautions == ("Portable film.",)


def test_profiles_and_readings_that_record_one_can_be_stored_in_the_upgraded_history(
        previous_server_history: str) -> None:
    with PostgresHistory(previous_server_history) as history:
        old = history.get(1)
        profile = history.add_site_profile(SiteProfile(
            None, "2026-12-01T10:00:00+00:00", old.model_name, old.model_version, old.model_sha256,
            1.2, {"COVID-19": -0.5}, 0.98, 640, "Dr. Ama"))
        assert history.active_site_profile() == profile
        new = dataclasses.replace(old, id=None, uid=None, site_profile_id=profile.id,
                                  model_probabilities={"COVID-19": 0.5, "Normal": 0.5})
        new_id = history.add(new)
        assert history.get(new_id).site_profile_id == profile.id
        assert history.get(1) == old  # the old reading is not touched
    with PostgresHistory(previous_server_history) as again:
        assert again.info().schema_version == SCHEMA_VERSION and len(again.site_profiles()) == 1
