"""Issue 12 under issue 15's roles, in the service layer (on the history file; the clinic server
runs the same in tests/clinic/test_cli_site_calibration.py): fitting, signing off and rolling back
a site calibration and the quality figures are a supervisor's and go into the audit trail; the
calibration in use is everyone's, so health workers' readings get it. And a reading waits for
the history's answer about the calibration, using the one last known from a clinic server only
when that server does not answer in time."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cxr_desktop.core.errors import PermissionDeniedError
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service import site_calibration
from cxr_desktop.service.accounts import StaffSession
from cxr_desktop.service.clinic_quality import ModelInUse, clinic_quality, proposal_for
from cxr_desktop.service.expected_band import ExpectedBand
from cxr_desktop.service.guard import GuardedHistory
from cxr_desktop.service.site_calibration import (
    SiteCalibration,
    SiteState,
    load_state,
    roll_back,
    sign_off,
)
from tests.service.synthetic import LABELS, SHA, site_readings
from tests.service.test_site_calibration import _prediction


@pytest.fixture
def clinic(tmp_path: Path):
    """A history of 700 confirmed readings, with a supervisor (kofi) and a health worker (ama)."""
    with SqliteHistory(tmp_path / "history.sqlite3") as store:
        for reading in site_readings(700, seed=21, sha=SHA):
            store.add(reading)
        session = StaffSession(store, workstation="office")
        session.add_account("kofi", SUPERVISOR, "9999")
        session.sign_in("kofi", "9999")
        session.add_account("ama", HEALTH_WORKER, "1111")
        session.sign_out()
        yield store, session


def model() -> ModelInUse:
    return ModelInUse("synthetic", "1.0", SHA, LABELS, 0.97, ExpectedBand(SHA))


def events(store, action: str) -> list[tuple[str, str]]:
    return [(e.actor, e.detail) for e in store.search_audit(AuditQuery(action=action,
                                                                        descending=False))]


def test_a_health_worker_reads_with_the_calibration_but_cannot_calibrate(clinic) -> None:
    store, session = clinic
    guarded = GuardedHistory(session)
    session.sign_in("kofi", "9999")
    proposal = proposal_for(guarded, model())
    profile = sign_off(guarded, proposal, "Kofi Boateng", SHA)
    session.sign_out()
    session.sign_in("ama", "1111")
    assert load_state(guarded, SHA).in_use == profile  # her readings get it
    for refused in (lambda: proposal_for(guarded, model()),
                    lambda: clinic_quality(guarded, model()),
                    lambda: sign_off(guarded, proposal, "Ama", SHA),
                    lambda: roll_back(guarded, "Ama"),
                    guarded.site_profiles):
        with pytest.raises(PermissionDeniedError, match="Only a supervisor"):
            refused()
    assert store.active_site_profile() == profile  # nothing changed
    assert [d for a, d in events(store, "denied")] == ["calibrate", "quality", "calibrate",
                                                       "calibrate", "calibrate"]
    assert {a for a, _d in events(store, "denied")} == {"ama"}


def test_a_supervisors_calibration_and_quality_view_are_in_the_audit_trail(clinic) -> None:
    store, session = clinic
    guarded = GuardedHistory(session)
    session.sign_in("kofi", "9999")
    result = clinic_quality(guarded, model(), "2020-01-01", None)
    assert result.report.n == 700
    profile = sign_off(guarded, proposal_for(guarded, model()), "Kofi Boateng", SHA)
    undone, now = roll_back(guarded, "Kofi Boateng")
    assert undone.id == profile.id and now is None
    assert events(store, "quality") == [
        ("kofi", "readings from 2020-01-01 to the last, the model in use")]
    calibrations = [d for a, d in events(store, "calibrate") if a == "kofi"]
    assert calibrations[0] == "site calibration fit on readings from the first to the last, " \
                              "the model in use"
    assert calibrations[1].startswith(f"signed off site calibration #{profile.id} (model 1.0, 700 "
                                      "confirmed readings, uncertain below")
    assert calibrations[1].endswith("signed by Kofi Boateng")
    assert calibrations[2] == f"rolled back site calibration #{profile.id}, by Kofi Boateng"
    assert all(e.workstation == "office" for e in store.search_audit(AuditQuery(actor="kofi")))


def test_with_accounts_off_nothing_is_refused_or_recorded(tmp_path: Path) -> None:
    with SqliteHistory(tmp_path / "history.sqlite3") as store:
        for reading in site_readings(700, seed=21, sha=SHA):
            store.add(reading)
        guarded = GuardedHistory(StaffSession(store))
        clinic_quality(guarded, model())
        sign_off(guarded, proposal_for(guarded, model()), "A", SHA)
        roll_back(guarded, "A")
        assert len(guarded.site_profiles()) == 1
        assert store.search_audit() == []


# -- the answer a reading waits for ---------------------------------------------------------


def test_a_reading_uses_the_fallback_only_when_the_history_is_late(monkeypatch) -> None:
    monkeypatch.setattr(site_calibration, "FALLBACK_AFTER_S", 0.2)
    from cxr_desktop.core.site_profile import SiteProfile

    last_known = SiteProfile(3, "2026-03-01T00:00:00+00:00", "m", "1", SHA, 1.0,
                             {"Normal": 2.0}, 0.8, 700, "A")
    newer = replace(last_known, id=4, offsets={"Normal": -2.0})
    fallback = SiteState(SHA, last_known, last_known_utc="2026-03-02T00:00:00+00:00")

    on_time = SiteCalibration()
    on_time.set_fallback(fallback)
    threading.Timer(0.05, lambda: on_time.set_state(SiteState(SHA, newer))).start()
    assert on_time.adjust(_prediction()).profile == newer  # the history answered in time

    late = SiteCalibration()
    late.set_fallback(fallback)
    started = time.monotonic()
    assert late.adjust(_prediction()).profile == last_known  # the server does not answer
    assert 0.15 < time.monotonic() - started < 5
    late.set_state(SiteState(SHA, newer))
    assert late.adjust(_prediction()).profile == newer  # from its answer on

    no_fallback = SiteCalibration()
    with pytest.raises(site_calibration.SiteCalibrationError):
        no_fallback.state(timeout_s=0.3)  # never a reading before the profile is known
