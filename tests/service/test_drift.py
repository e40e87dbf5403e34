"""The drift test: quiet on data like the model card's, loud when a rate clearly leaves its band,
never on too few readings; and its false alarms over a year of daily looks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.service import drift
from cxr_desktop.service.expected_band import ExpectedBand, MeanReference, Reference
from cxr_desktop.service.stats import binomial_critical_count
from tests.service.synthetic import SHA, site_readings

BAND = ExpectedBand(SHA, referral=Reference(0.114, 1698, 0.03, "val"),
                    not_cxr=Reference(0.0018, 1698, 0.01, "val"),
                    disagreement=Reference(0.018, 1698, 0.02, "val"),
                    ood_score_mean=MeanReference(0.23, 0.09, 1698, 0.1, "val"))


def _with_rates(n: int, referral: float, ood: float, wrong: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for r in site_readings(n, seed=seed):
        is_ood = rng.random() < ood
        label = r.confirmed_label if rng.random() >= wrong else "Other"
        out.append(replace(r, uncertain=bool(rng.random() < referral), out_of_distribution=is_ood,
                           label="Not a chest X-ray" if is_ood else label,
                           ood_score=1.5 if is_ood else 0.25))
    return out


def test_quiet_at_the_card_figures_and_loud_well_above_them() -> None:
    quiet = drift.check_drift(_with_rates(300, 0.114, 0.002, 0.0), BAND)
    assert not quiet.alarm and all(c.enough for c in quiet.checks)
    loud = drift.check_drift(_with_rates(300, 0.40, 0.002, 0.0), BAND)
    assert [c.key for c in loud.alarms] == ["referral"]
    many_refused = drift.check_drift(_with_rates(300, 0.114, 0.10, 0.0), BAND)
    assert "not_cxr" in {c.key for c in many_refused.alarms}


def test_too_few_readings_never_alarm() -> None:
    few = drift.check_drift(_with_rates(drift.MIN_CONFIRMED - 1, 0.9, 0.5, 0.0), BAND)
    assert not few.alarm and not any(c.enough for c in few.checks)


def test_the_window_is_this_model_and_this_profile() -> None:
    mine = site_readings(5, seed=1)
    other_model = [replace(r, model_sha256="ee" * 32) for r in site_readings(5, seed=2)]
    other_profile = [replace(r, site_profile_id=3) for r in site_readings(5, seed=3)]
    newest_first = [*other_model, *other_profile, *mine]
    assert drift.window(newest_first, SHA, None) == mine
    assert drift.window(newest_first, SHA, 3) == other_profile
    assert len(drift.window(mine, SHA, None, size=2)) == 2


def test_a_site_profile_brings_its_own_cross_validated_band() -> None:
    profile = SiteProfile(4, "2026-03-01T00:00:00+00:00", "m", "1", SHA, 1.0, {}, 0.99, 650, "A",
                          fit={"after": {"n": 650, "referred": 260, "correct": 600}})
    band = BAND.with_site_profile(profile)
    assert band.referral.value == 0.4 and band.referral.source == "site calibration #4"
    assert band.not_cxr == BAND.not_cxr  # the gate does not change with a site calibration
    at_its_own_rate = drift.check_drift(_with_rates(300, 0.40, 0.002, 0.0), band)
    assert not at_its_own_rate.alarm


def test_a_year_of_daily_looks_at_a_clinic_like_val_gives_no_false_alarm() -> None:
    """25 readings a day for 365 days, the window tested every evening: the per-look false
    alarm probability at val's own rates is below 1e-8 for each rate, and the simulation of
    the year (referral and disagreement at val's rates) raises nothing."""
    rng = np.random.default_rng(2026)
    days, per_day = 365, 25
    referred = rng.random(days * per_day) < 0.114
    wrong = rng.random(days * per_day) < 0.018
    k_ref = binomial_critical_count(drift.WINDOW, BAND.referral.upper, drift.ALPHA)
    k_wrong = binomial_critical_count(drift.WINDOW, BAND.disagreement.upper, drift.ALPHA)
    alarms = 0
    for day in range(12, days):  # from the 12th day the window is full
        end = (day + 1) * per_day
        alarms += referred[end - drift.WINDOW:end].sum() >= k_ref
        alarms += wrong[end - drift.WINDOW:end].sum() >= k_wrong
    assert alarms == 0
    for key, rate in (("referral", 0.114), ("not_cxr", 0.0018), ("disagreement", 0.018)):
        assert drift.false_alarm_rate(rate, getattr(BAND, key)) < 1e-8
        # even a clinic sitting at the top of the band alarms on at most ALPHA of the looks
        assert drift.false_alarm_rate(getattr(BAND, key).upper, getattr(BAND, key)) <= drift.ALPHA


def test_the_mean_ood_score_is_tested_when_the_card_gives_it() -> None:
    high = [replace(r, ood_score=0.7) for r in _with_rates(300, 0.114, 0.0, 0.0)]
    report = drift.check_drift(high, BAND)
    assert "ood_score_mean" in {c.key for c in report.alarms}
    no_reference = drift.check_drift(high, replace(BAND, ood_score_mean=None))
    assert not no_reference.alarm
