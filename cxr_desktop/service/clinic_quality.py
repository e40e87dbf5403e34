"""The quality use cases over the history, for the window and the command line: the figures for a
period, the drift test now, and a calibration proposal, each for the model in use.

Every function reads the store: call them off the GUI thread (the window goes through HistoryOps).
The quality figures and a fit are a supervisor's when staff accounts are on (issue 15), and go
into the audit trail; the drift test behind the window's notice is everyone's.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cxr_desktop.core.model_card import ModelCard
from cxr_desktop.core.storage import HistoryStore, ReadingQuery
from cxr_desktop.service.accounts import CALIBRATE, QUALITY
from cxr_desktop.service.drift import DriftReport, check_drift, window
from cxr_desktop.service.expected_band import ExpectedBand, expected_band
from cxr_desktop.service.guard import authorize
from cxr_desktop.service.quality import QualityReport, quality_report
from cxr_desktop.service.site_calibration import SiteState, fit_proposal, load_state
from cxr_desktop.service.site_proposal import Proposal

#: The drift window looks no further back than this (a year), however few readings there are.
WINDOW_DAYS = 365


@dataclass(frozen=True)
class ModelInUse:
    """What the quality figures need to know of the loaded model."""

    name: str
    version: str
    sha256: str
    labels: tuple[str, ...]
    uncertain_below: float
    band: ExpectedBand

    @classmethod
    def from_card(cls, card: ModelCard) -> ModelInUse:
        return cls(card.name, card.version, card.sha256, tuple(card.labels),
                   card.uncertain_below, expected_band(card))


@dataclass(frozen=True)
class ClinicQuality:
    report: QualityReport
    state: SiteState


def drift_now(store: HistoryStore, model: ModelInUse, state: SiteState | None = None) -> DriftReport:
    """The drift test on the newest readings of this model and the profile in use."""
    state = state or load_state(store, model.sha256)
    profile = state.in_use
    since = (datetime.now(timezone.utc) - timedelta(days=WINDOW_DAYS)).date().isoformat()
    query = ReadingQuery(date_from=since, descending=True)
    with closing(store.iter_readings(query)) as newest_first:
        recent = window(newest_first, model.sha256, None if profile is None else profile.id)
    return check_drift(recent, model.band.with_site_profile(profile))


def clinic_quality(store: HistoryStore, model: ModelInUse, date_from: str | None = None,
                   date_to: str | None = None, all_models: bool = False) -> ClinicQuality:
    """The figures for the period (default: everything), for the model in use (or every model
    with ``all_models``), with the drift test of now."""
    authorize(store, QUALITY, "quality", _period(date_from, date_to, all_models))
    state = load_state(store, model.sha256)
    query = ReadingQuery(date_from=date_from, date_to=date_to, descending=False)
    with closing(store.iter_readings(query)) as rows:
        readings = [r for r in rows if all_models or r.model_sha256 == model.sha256]
    drift = drift_now(store, model, state)
    report = quality_report(readings, model.band.with_site_profile(state.in_use), model.labels,
                            date_from, date_to, drift)
    return ClinicQuality(report, state)


def proposal_for(store: HistoryStore, model: ModelInUse, date_from: str | None = None,
                 date_to: str | None = None) -> Proposal:
    authorize(store, CALIBRATE, "calibrate",
              "site calibration fit on " + _period(date_from, date_to, False))
    return fit_proposal(store, model.labels, model.name, model.version, model.sha256,
                        model.uncertain_below, date_from, date_to)


def _period(date_from: str | None, date_to: str | None, all_models: bool) -> str:
    """The audit trail's words for a period (stored as is, for a supervisor)."""
    models = "every model" if all_models else "the model in use"
    return f"readings from {date_from or 'the first'} to {date_to or 'the last'}, {models}"
