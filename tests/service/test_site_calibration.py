"""Site calibration: the fit recovers a known miscalibration, the threshold and the proposal
follow their stated rules, and the safety rules hold (minimum sample, a name, the right model,
no silent use, rollback)."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest

from cxr_desktop.core.labels import OTHER_LABEL
from cxr_desktop.core.site_profile import SiteProfile, adjust_probabilities
from cxr_desktop.core.storage import open_history
from cxr_desktop.core.types import Prediction
from cxr_desktop.service import site_fit
from cxr_desktop.service.site_calibration import (
    SiteCalibration,
    SiteCalibrationError,
    SiteState,
    adjust_prediction,
    fit_proposal,
    load_state,
    roll_back,
    sign_off,
)
from cxr_desktop.service.site_proposal import MIN_CONFIRMED, NOT_BETTER, RECOMMENDED, fit_readings
from tests.service.synthetic import LABELS, SHA, site_readings


def _fit(store):
    return fit_proposal(store, LABELS, "synthetic", "1.0", SHA, 0.97)


def test_the_fit_recovers_a_known_temperature_and_offsets() -> None:
    readings = site_readings(4000, seed=5, sharpen=3.0, bias=(1.0, -0.5, 0.0), separation=2.2)
    p = np.array([[r.probabilities[k] for k in LABELS] for r in readings])
    y = np.array([LABELS.index(r.confirmed_label) for r in readings])
    fit = site_fit.fit_calibration(p, y)
    assert fit.temperature == pytest.approx(3.0, rel=0.1)
    # offsets are identified up to a constant: compare differences (truth: -bias / sharpen)
    c = fit.offsets - fit.offsets[2]
    assert c[0] == pytest.approx(-1.0 / 3, abs=0.12) and c[1] == pytest.approx(0.5 / 3, abs=0.12)
    q = site_fit.calibrate(p, fit)
    nll = lambda probs: -np.log(probs[np.arange(len(y)), y]).mean()  # noqa: E731
    assert nll(q) < nll(p)


def test_a_rare_class_keeps_offset_zero_and_other_findings_carry_no_likelihood() -> None:
    readings = site_readings(800, seed=6)
    p = np.array([[r.probabilities[k] for k in LABELS] for r in readings])
    y = np.array([LABELS.index(r.confirmed_label) for r in readings])
    y[y == 2] = -1  # every Viral Pneumonia confirmed as something else
    fit = site_fit.fit_calibration(p, y)
    assert fit.fitted == (True, True, False) and fit.offsets[2] == 0.0
    # an 'Other' reading is an error wherever it is accepted
    q = np.array([[0.999, 0.0005, 0.0005]])
    assert site_fit.outcome(q, np.array([-1]), 0.5).accepted_correct == 0


def test_the_threshold_meets_the_modelled_target_and_rises_with_errors() -> None:
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 3000)
    q = np.column_stack([conf, (1 - conf) / 2, (1 - conf) / 2])
    y = np.where(rng.random(3000) < conf, 0, 1)  # calibrated: right with probability conf
    t = site_fit.choose_threshold(q, y)
    accepted = conf >= t
    assert (1 - conf[accepted]).mean() <= 0.005 + 1e-9  # the modelled error meets the target
    assert (1 - conf[conf >= t - 0.01]).mean() > 0.005 - 0.001  # and it is about the lowest
    logit = np.log(conf / (1 - conf))
    worse = np.where(rng.random(3000) < 1 / (1 + np.exp(-(logit - 1))), 0, 1)  # e times the odds
    assert site_fit.choose_threshold(q, worse) > t
    hopeless = np.where(rng.random(3000) < 0.9, 0, 1)  # 10% wrong at any confidence
    assert site_fit.choose_threshold(q, hopeless) is None


def test_folds_are_stable_and_patients_stay_together() -> None:
    assert site_fit.fold_of("P-1") == site_fit.fold_of("P-1")
    assert len({site_fit.fold_of(f"P-{i}") for i in range(50)}) == site_fit.FOLDS


def test_the_minimum_sample_is_enforced(tmp_path) -> None:
    with open_history(tmp_path / "h.sqlite3") as store:
        for r in site_readings(MIN_CONFIRMED - 1, seed=1):
            store.add(r)
        store.add(replace(site_readings(1, seed=2)[0], confirmed_label=None, reviewed_utc=None))
        with pytest.raises(SiteCalibrationError, match=str(MIN_CONFIRMED)):
            _fit(store)
        store.add(site_readings(1, seed=3)[0])
        proposal = _fit(store)
        assert proposal.n == MIN_CONFIRMED


def test_which_readings_a_fit_uses() -> None:
    base = site_readings(6, seed=9)
    readings = [base[0],
                replace(base[1], out_of_distribution=True),  # refused: not about probabilities
                replace(base[2], model_sha256="ee" * 32),  # another model
                replace(base[3], confirmed_label=None),  # not confirmed
                replace(base[4], confirmed_label=OTHER_LABEL),  # kept, as an error
                replace(base[5], file_sha256=base[0].file_sha256,  # the same image read again
                        created_utc=base[0].created_utc.replace(base[0].created_utc[:4],
                                                                "2999"))]
    used = fit_readings(readings, SHA)
    assert [r.source_path for r in used] == [base[4].source_path, base[5].source_path]


def test_fit_sign_off_apply_and_roll_back(tmp_path) -> None:
    with open_history(tmp_path / "h.sqlite3") as store:
        for r in site_readings(700, seed=11):
            store.add(r)
        proposal = _fit(store)
        assert proposal.status == RECOMMENDED and proposal.can_apply
        assert proposal.after.nll < proposal.before.nll
        assert _fit(store).code == proposal.code  # the same readings give the same fit
        assert any(row.chosen for row in proposal.table)
        assert any(row.model_card for row in proposal.table)
        with pytest.raises(SiteCalibrationError):
            sign_off(store, proposal, "   ", SHA)
        with pytest.raises(SiteCalibrationError):
            sign_off(store, proposal, "Dr. A", "ff" * 32)
        assert store.site_profiles() == []  # nothing stored by fitting or by refusals
        profile = sign_off(store, proposal, "  Dr.  Ama  ", SHA)
        assert profile.signed_by == "Dr. Ama" and profile.fit["code"] == proposal.code
        assert load_state(store, SHA).in_use == profile
        undone, now = roll_back(store, "Dr. Ama")
        assert undone.id == profile.id and now is None
        with pytest.raises(SiteCalibrationError):
            roll_back(store, "Dr. Ama")


def test_a_proposal_no_better_than_the_card_cannot_be_signed(tmp_path) -> None:
    with open_history(tmp_path / "h.sqlite3") as store:
        for r in site_readings(700, seed=12, sharpen=1.0, bias=(0.0, 0.0, 0.0)):
            store.add(r)  # the model is already calibrated at this clinic
        proposal = _fit(store)
        if proposal.status == NOT_BETTER:
            assert not proposal.can_apply
            with pytest.raises(SiteCalibrationError):
                sign_off(store, proposal, "Dr. A", SHA)
        else:  # a calibrated model: the fit stays near identity
            assert proposal.temperature == pytest.approx(1.0, abs=0.15)


def _prediction(probs=(0.6, 0.3, 0.1)) -> Prediction:
    return Prediction(labels=LABELS, probabilities=probs, label=LABELS[0], confidence=probs[0],
                      uncertain=True, out_of_distribution=False, ood_score=0.3,
                      heatmap=np.zeros((7, 7), np.uint8), model_name="m", model_version="1",
                      model_sha256=SHA)


def test_adjusting_a_prediction() -> None:
    plain = _prediction()
    assert adjust_prediction(plain, None).prediction is plain  # no profile: untouched
    profile = SiteProfile(7, "2026-03-01T00:00:00+00:00", "m", "1", SHA, 1.0,
                          {"Normal": 2.0}, 0.8, 700, "A")
    adjusted = adjust_prediction(plain, profile)
    q = adjust_probabilities(plain.probabilities, LABELS, 1.0, {"Normal": 2.0})
    assert adjusted.prediction.probabilities == q and adjusted.prediction.label == "Normal"
    assert adjusted.prediction.heatmap is None  # the heatmap was the evidence for COVID-19
    assert adjusted.reading_fields == {"site_profile_id": 7,
                                       "model_probabilities": plain.probability_by_label}
    assert adjusted.prediction.uncertain == (max(q) < 0.8)


def test_no_reading_is_made_before_the_site_calibration_is_known() -> None:
    pending = SiteCalibration()
    with pytest.raises(SiteCalibrationError):
        pending.state(timeout_s=0.05)
    profile = SiteProfile(1, "2026-03-01T00:00:00+00:00", "m", "1", SHA, 2.0, {}, 0.9, 700, "A")
    done = []
    worker = threading.Thread(target=lambda: done.append(pending.adjust(_prediction())))
    worker.start()
    pending.set_state(SiteState(SHA, profile))
    worker.join(5)
    assert done and done[0].profile == profile
