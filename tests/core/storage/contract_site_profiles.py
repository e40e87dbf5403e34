"""Contract (issue 12): site calibration profiles and the readings they produce. Imported by every
backend's contract module; no engine is named here."""

from __future__ import annotations

import dataclasses

import pytest

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage import HistoryStore
from tests.core.storage.helpers import make_reading


def make_profile(**overrides) -> SiteProfile:
    values = dict(
        id=None, created_utc="2026-03-04T05:06:07.123456+00:00", model_name="cxr-net",
        model_version="1.2.3", model_sha256="cd" * 32, temperature=1.25,
        offsets={"COVID-19": -0.75, "Normal": 0.5, "Viral_Pneumonia": 0.0},
        uncertain_below=0.985, n_readings=640, signed_by="Dr. Ama Mensah",
        fit={"period": ["2026-02-01", "2026-03-01"], "table": [[0.9, 0.12, 0.996]]},
    )
    values.update(overrides)
    return SiteProfile(**values)


def test_a_profile_round_trips_and_becomes_active(store: HistoryStore) -> None:
    assert store.site_profiles() == [] and store.active_site_profile() is None
    stored = store.add_site_profile(make_profile(id=77, rolled_back_utc="x", rolled_back_by="y"))
    assert stored.id is not None and stored.id != 77
    assert stored == dataclasses.replace(make_profile(), id=stored.id)
    assert store.active_site_profile() == stored
    assert store.site_profiles() == [stored]


def test_rolling_back_restores_the_previous_profile_and_keeps_both(store: HistoryStore) -> None:
    first = store.add_site_profile(make_profile(signed_by="A"))
    second = store.add_site_profile(make_profile(signed_by="B", temperature=0.8))
    assert store.active_site_profile() == second
    undone = store.roll_back_site_profile(second.id, by="C")
    assert undone.rolled_back_by == "C" and undone.rolled_back_utc and not undone.active
    assert store.active_site_profile() == first
    assert [p.id for p in store.site_profiles()] == [second.id, first.id]  # newest first, kept
    store.roll_back_site_profile(first.id, by="C")
    assert store.active_site_profile() is None and len(store.site_profiles()) == 2


def test_rolling_back_twice_or_a_missing_profile_is_refused(store: HistoryStore) -> None:
    profile = store.add_site_profile(make_profile())
    store.roll_back_site_profile(profile.id, by="A")
    with pytest.raises(StorageError):
        store.roll_back_site_profile(profile.id, by="A")
    with pytest.raises(StorageError):
        store.roll_back_site_profile(9999, by="A")


def test_profiles_outlive_reopening(open_store) -> None:
    with open_store() as first:
        profile = first.add_site_profile(make_profile())
    with open_store() as second:
        assert second.active_site_profile() == profile


def test_a_reading_records_the_profile_and_the_model_probabilities(store: HistoryStore) -> None:
    profile = store.add_site_profile(make_profile())
    reading = make_reading(probabilities={"COVID-19": 0.1, "Normal": 0.85, "Viral_Pneumonia": 0.05},
                           label="Normal", site_profile_id=profile.id,
                           model_probabilities={"COVID-19": 0.6, "Normal": 0.35,
                                                "Viral_Pneumonia": 0.05})
    new_id = store.add(reading)
    assert store.get(new_id) == dataclasses.replace(reading, id=new_id)
    plain = store.add(make_reading())
    got = store.get(plain)
    assert got.site_profile_id is None and got.model_probabilities is None
    listed = {r.id: r for r in store.iter_readings()}
    assert listed[new_id].site_profile_id == profile.id
    assert listed[new_id].model_probabilities == reading.model_probabilities
