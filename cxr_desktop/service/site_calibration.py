"""Site calibration in use: which profile adjusts new readings, and the use cases that fit, sign
off and roll back a profile (for the window and the command line alike).

Safety rules kept here:
  * a profile is only ever stored by ``sign_off`` with a person's name, from a proposal fitted
    on at least ``MIN_CONFIRMED`` confirmed readings of the model in use, and only when a
    threshold reached the target and cross-validation did not find it worse than the card;
  * the active profile is used for every new reading only when it was made for the loaded
    model's sha256; for another model it is refused and the site is told to recalibrate;
  * a profile is never applied before it is known: ``SiteCalibration.adjust`` waits until the
    window has read the history's active profile (``set_state``); on a clinic server that
    cannot be reached, the profile last known from it is used and said to be (issue 15,
    ``service.site_profile_cache``);
  * old readings are never rewritten: each new reading records its profile and the model's own
    probabilities.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from cxr_desktop.core.errors import CxrError
from cxr_desktop.core.site_profile import SiteProfile, apply_profile
from cxr_desktop.core.storage import HistoryStore, ReadingQuery, utc_now_iso
from cxr_desktop.core.types import Prediction
from cxr_desktop.i18n import _, format_datetime, ngettext
from cxr_desktop.service.site_profile_cache import KnownProfile
from cxr_desktop.service.site_proposal import MIN_CONFIRMED, Proposal, fit_readings, propose

#: How long a reading waits for the history's answer about the site calibration.
STATE_TIMEOUT_S = 30.0
#: After this long without an answer, a reading uses the fallback (the profile last known from
#: a clinic server that does not answer), when there is one.
FALLBACK_AFTER_S = 1.5


class SiteCalibrationError(CxrError):
    """A site calibration cannot be fitted, signed off or rolled back; the message says why."""


@dataclass(frozen=True)
class SiteState:
    """The history's active profile (of any model) seen from the loaded model."""

    model_sha256: str
    profile: SiteProfile | None = None
    #: None: the history said so just now. Else the clinic server cannot be reached and this is
    #: its answer as last known on this PC, at that time (issue 15).
    last_known_utc: str | None = None

    @property
    def in_use(self) -> SiteProfile | None:
        p = self.profile
        return p if p is not None and p.fits_model(self.model_sha256) else None

    @property
    def refused(self) -> bool:
        return self.profile is not None and self.in_use is None

    def message(self) -> str | None:
        """A sentence for people, or None when there is no site calibration at all."""
        p = self.profile
        if p is None:
            return None
        if self.refused:
            return _("The site calibration #{id} was made for another version of the AI model "
                     "({version}), so it is not used: readings get the model's own calibration. "
                     "The site must recalibrate.").format(id=p.id, version=p.model_version)
        if self.last_known_utc is not None:
            return _("Working offline: new readings use site calibration #{id}, signed off by "
                     "{name}, as it was last known from the clinic database ({time}).").format(
                id=p.id, name=p.signed_by, time=format_datetime(self.last_known_utc, "short"))
        return _("Site calibration #{id}, signed off by {name}, is used for new readings.").format(
            id=p.id, name=p.signed_by)


@dataclass(frozen=True, eq=False)
class AdjustedPrediction:
    prediction: Prediction
    profile: SiteProfile | None
    model_probabilities: dict[str, float] | None

    @property
    def reading_fields(self) -> dict[str, Any]:
        return {"site_profile_id": None if self.profile is None else self.profile.id,
                "model_probabilities": self.model_probabilities}


def adjust_prediction(prediction: Prediction, profile: SiteProfile | None) -> AdjustedPrediction:
    """The prediction as the site profile gives it (unchanged, bit for bit, without one)."""
    if profile is None:
        return AdjustedPrediction(prediction, None, None)
    q = apply_profile(prediction.probabilities, prediction.labels, profile)
    top = max(range(len(q)), key=q.__getitem__)
    label = prediction.labels[top]
    adjusted = replace(
        prediction, probabilities=q, label=label, confidence=q[top],
        uncertain=bool(q[top] < profile.uncertain_below),
        # The heatmap shows the evidence for the model's top class: wrong for another class.
        heatmap=prediction.heatmap if label == prediction.label else None)
    return AdjustedPrediction(adjusted, profile, prediction.probability_by_label)


class SiteCalibration:
    """The site state shared by every reading of a window or a command (thread-safe)."""

    def __init__(self, state: SiteState | None = None) -> None:
        self._lock = threading.Lock()
        self._known = threading.Event()
        self._state = state
        self._failure: str | None = None
        self._fallback: SiteState | None = None
        if state is not None:
            self._known.set()

    @classmethod
    def off(cls) -> SiteCalibration:
        """No history, no site calibration (the bench, tests, a reading without history)."""
        return cls(SiteState(""))

    @classmethod
    def from_store(cls, store: HistoryStore | None, model_sha256: str) -> SiteCalibration:
        return cls(load_state(store, model_sha256))

    def set_state(self, state: SiteState) -> None:
        with self._lock:
            self._state, self._failure = state, None
        self._known.set()

    def set_fallback(self, state: SiteState | None) -> None:
        """What readings use if the history has not answered within ``FALLBACK_AFTER_S``: the
        profile last known from a clinic server that may not answer (it says so itself)."""
        with self._lock:
            self._fallback = state

    def expect_update(self) -> None:
        """The history is being asked again (another PC may have signed one off): readings wait
        for that answer, or after ``FALLBACK_AFTER_S`` use the state known until now."""
        with self._lock:
            if self._state is not None:
                self._fallback = self._state
            self._known.clear()

    def set_failed(self, message: str) -> None:
        """The history could not say which profile is in use: readings are refused (with
        ``message``) rather than made without the clinic's calibration."""
        with self._lock:
            self._state, self._failure = None, message
        self._known.set()

    def state(self, timeout_s: float = STATE_TIMEOUT_S) -> SiteState:
        if not self._known.wait(min(timeout_s, FALLBACK_AFTER_S)):
            with self._lock:
                fallback = self._fallback
            if fallback is not None:
                return fallback
        if not self._known.wait(max(0.0, timeout_s - FALLBACK_AFTER_S)):
            raise SiteCalibrationError(_("The site calibration could not be read from the "
                                         "history, so no second opinion is given. Try again."))
        with self._lock:
            if self._state is None:
                raise SiteCalibrationError(self._failure or _("The site calibration is not "
                                                              "known."))
            return self._state

    def adjust(self, prediction: Prediction) -> AdjustedPrediction:
        state = self.state()
        profile = state.in_use if state.model_sha256 else None
        return adjust_prediction(prediction, profile)


# -- use cases (any thread but the GUI's) -------------------------------------------------------


def load_state(store: HistoryStore | None, model_sha256: str) -> SiteState:
    if store is None:
        return SiteState(model_sha256)
    known = getattr(store, "known_site_profile", None)  # a clinic server (service.sync)
    if callable(known):
        return state_from_known(model_sha256, known())
    return SiteState(model_sha256, store.active_site_profile())


def state_from_known(model_sha256: str, known: KnownProfile) -> SiteState:
    return SiteState(model_sha256, known.profile, None if known.live else known.seen_utc)


def fit_proposal(store: HistoryStore, labels: tuple[str, ...], model_name: str, model_version: str,
                 model_sha256: str, card_threshold: float, date_from: str | None = None,
                 date_to: str | None = None) -> Proposal:
    """Fit on the clinic's confirmed readings; raises SiteCalibrationError below the minimum."""
    query = ReadingQuery(date_from=date_from, date_to=date_to, descending=False)
    readings = fit_readings(store.iter_readings(query), model_sha256)
    if len(readings) < MIN_CONFIRMED:
        raise SiteCalibrationError(ngettext(
            "Only {count} confirmed reading of this model version can be used; a site "
            "calibration needs at least {minimum}. Keep confirming findings and try again.",
            "Only {count} confirmed readings of this model version can be used; a site "
            "calibration needs at least {minimum}. Keep confirming findings and try again.",
            len(readings)).format(count=len(readings), minimum=MIN_CONFIRMED))
    return propose(readings, labels, model_name, model_version, model_sha256, card_threshold)


def sign_off(store: HistoryStore, proposal: Proposal, signed_by: str,
             model_sha256: str) -> SiteProfile:
    """Store ``proposal`` as the active profile, signed by ``signed_by``."""
    name = " ".join((signed_by or "").split())
    if not name:
        raise SiteCalibrationError(_("A site calibration must be signed off with the "
                                     "supervisor's name."))
    if proposal.model_sha256 != model_sha256:
        raise SiteCalibrationError(_("This calibration was fitted for another version of the AI "
                                     "model, so it cannot be used. Fit it again."))
    if proposal.n < MIN_CONFIRMED:  # a proposal is only made above it; never store one below
        raise SiteCalibrationError(_("A site calibration needs at least {minimum} confirmed "
                                     "readings.").format(minimum=MIN_CONFIRMED))
    if proposal.uncertain_below is None:
        raise SiteCalibrationError(_("No threshold reaches the target at this clinic, so this "
                                     "calibration cannot be used."))
    if not proposal.can_apply:
        raise SiteCalibrationError(_("In cross-validation this calibration does no better than "
                                     "the model's own, so it cannot be used."))
    return store.add_site_profile(SiteProfile(
        id=None, created_utc=utc_now_iso(), model_name=proposal.model_name,
        model_version=proposal.model_version, model_sha256=proposal.model_sha256,
        temperature=proposal.temperature, offsets=dict(proposal.offsets),
        uncertain_below=proposal.uncertain_below, n_readings=proposal.n, signed_by=name,
        fit=proposal.summary()))


def roll_back(store: HistoryStore, by: str) -> tuple[SiteProfile, SiteProfile | None]:
    """Roll back the active profile; returns it and the profile active now (None: the model's
    own calibration)."""
    name = " ".join((by or "").split())
    if not name:
        raise SiteCalibrationError(_("Rolling back a site calibration needs the supervisor's "
                                     "name."))
    active = store.active_site_profile()
    if active is None:
        raise SiteCalibrationError(_("No site calibration is in use, so there is nothing to "
                                     "roll back."))
    undone = store.roll_back_site_profile(int(active.id or 0), by=name)
    return undone, store.active_site_profile()
