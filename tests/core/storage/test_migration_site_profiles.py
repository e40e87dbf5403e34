"""Issue 12's migration (site calibration profiles) on a history written by the previous schema.

``data/history_v2_for_site_profiles.sqlite3`` was made by main's own code at commit 111002c
(schema v2): ``cxr-desktop predict --save`` on a Normal, a COVID-19 and a Viral Pneumonia PNG of
cxr3, then ``update_review`` of reading 1 (note "seen", confirmed Normal) and reading 2
(confirmed Other). Opening it upgrades it in place; no stored value changes, the old readings
say "no site profile", and profiles can be stored at once.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.core.storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, _v4_site_calibration

V2_FILE = Path(__file__).with_name("data") / "history_v2_for_site_profiles.sqlite3"


def raw(path: Path, old: list[str] | None = None) -> tuple[list[tuple], list[tuple], list[str]]:
    """The readings' values in the previous version's columns (``old``; default: all of them
    now), their images, and every column now."""
    conn = sqlite3.connect(path)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(readings)")]
        old = old or columns
        readings = conn.execute(f"SELECT {', '.join(old)} FROM readings ORDER BY id").fetchall()
        images = conn.execute("SELECT * FROM reading_images ORDER BY reading_id").fetchall()
        return readings, images, columns
    finally:
        conn.close()


@pytest.fixture
def previous_copy(tmp_path: Path) -> Path:
    target = tmp_path / "history.sqlite3"
    shutil.copyfile(V2_FILE, target)
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA user_version").fetchone()[0] <= MIGRATIONS.index(_v4_site_calibration)
    conn.close()
    return target


def test_the_previous_history_is_upgraded_in_place_and_loses_nothing(previous_copy: Path) -> None:
    readings_before, images_before, columns_before = raw(previous_copy)
    assert "site_profile_id" not in columns_before
    with SqliteHistory(previous_copy) as history:
        assert history.info().schema_version == SCHEMA_VERSION
        readings = {r.id: r for r in history.iter_readings()}
        assert history.site_profiles() == [] and history.active_site_profile() is None
    readings_after, images_after, columns_after = raw(previous_copy, columns_before)
    assert readings_after == readings_before and images_after == images_before
    assert {"site_profile_id", "model_probabilities"} <= set(columns_after)
    assert sorted(readings) == [1, 2, 3]
    assert all(r.site_profile_id is None and r.model_probabilities is None for r in readings.values())
    assert readings[1].confirmed_label == "Normal" and readings[1].note == "seen"
    assert readings[2].confirmed_label == "Other"


def test_profiles_can_be_stored_in_the_upgraded_history(previous_copy: Path) -> None:
    with SqliteHistory(previous_copy) as history:
        old = history.get(1)
        profile = history.add_site_profile(SiteProfile(
            None, "2026-12-01T10:00:00+00:00", old.model_name, old.model_version, old.model_sha256,
            1.2, {"COVID-19": -0.5}, 0.98, 640, "Dr. Ama"))
        assert history.active_site_profile() == profile
        assert history.get(1) == old  # the old reading is not touched
    with SqliteHistory(previous_copy) as again:
        assert again.info().schema_version == SCHEMA_VERSION and len(again.site_profiles()) == 1
