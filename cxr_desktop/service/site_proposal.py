"""A proposed site calibration: which readings it is fitted on, the fit, the threshold table and
the before/after figures a supervisor looks at before signing it off.

The minimum sample, ``MIN_CONFIRMED`` = 600 confirmed readings the model gave a class: the target
is that at most 1 in 200 accepted readings is wrong (99.5% accepted-correct). With n readings and
not one error, the one-sided 95% upper limit of the error rate is about 3 / n (the rule of three),
so n = 3 / 0.005 = 600 is the smallest sample that could show the target met at all; with fewer,
even a perfect record cannot tell a clinic at the target from one twice as bad. It is also about
a month of confirmed readings at 20-30 a day, and well over the 10-20 readings per fitted
parameter (here 1 temperature + up to 3 offsets) a stable likelihood fit needs.

Which readings: confirmed readings of the model in use that it gave a class (a reading it refused
as "not a chest X-ray" is not about its probabilities), one per image (the newest reading of a
file), their model-card probabilities (``model_probabilities`` when a profile produced them, so a
refit never compounds an earlier one). Cross-validation folds are whole patients (or images).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxr_desktop.core.types import Reading
from cxr_desktop.service import site_fit
from cxr_desktop.service.drift import is_confirmed
from cxr_desktop.service.stats import Proportion, expected_calibration_error, reliability_bins

MIN_CONFIRMED = 600
#: Above this cross-validated referral rate the model is not doing its job at this clinic.
HIGH_REFERRAL = 0.5

RECOMMENDED = "recommended"
NOT_NEEDED = "not_needed"  # the model's own calibration already meets the target here
UNREACHABLE = "unreachable"  # no threshold reaches the target: do not rely on the AI here
NOT_BETTER = "not_better"  # in cross-validation it fits the clinic's readings no better


@dataclass(frozen=True)
class Figures:
    """One calibration judged on the clinic's readings."""

    n: int
    referred: Proportion
    accepted_correct: Proportion
    correct: Proportion
    nll: float | None
    ece: float | None

    @classmethod
    def of(cls, q: np.ndarray, y: np.ndarray, outcome: site_fit.Outcome) -> Figures:
        bins = reliability_bins(q.max(axis=1), q.argmax(axis=1) == y)
        return cls(outcome.n, Proportion(outcome.referred, outcome.n),
                   Proportion(outcome.accepted_correct, outcome.accepted),
                   Proportion(outcome.correct, outcome.n), outcome.nll,
                   expected_calibration_error(bins))

    def as_json(self) -> dict[str, Any]:
        return {"n": self.n, "referred": self.referred.k, "accepted": self.accepted_correct.n,
                "accepted_correct": self.accepted_correct.k, "correct": self.correct.k,
                "nll": self.nll, "ece": self.ece}


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    referred: Proportion
    accepted_correct: Proportion
    chosen: bool
    model_card: bool


@dataclass(frozen=True)
class Proposal:
    model_name: str
    model_version: str
    model_sha256: str
    labels: tuple[str, ...]
    reading_ids: tuple[int, ...]
    per_class: dict[str, int]
    outside_classes: int  # confirmed "Other" / "Not a chest X-ray": errors, not in the likelihood
    first_utc: str
    last_utc: str
    temperature: float
    offsets: dict[str, float]
    fitted_classes: tuple[str, ...]
    uncertain_below: float | None  # None: no threshold reaches the target
    card_threshold: float
    before: Figures  # the model card's calibration and threshold on these readings
    after: Figures  # this procedure, cross-validated (nested) on these readings
    table: tuple[ThresholdRow, ...]
    status: str  # RECOMMENDED, NOT_NEEDED or UNREACHABLE
    code: str  # a short fingerprint: what --apply must quote

    @property
    def n(self) -> int:
        return len(self.reading_ids)

    @property
    def can_apply(self) -> bool:
        return self.uncertain_below is not None and self.status != NOT_BETTER

    @property
    def high_referral(self) -> bool:
        return (self.after.referred.estimate or 0.0) > HIGH_REFERRAL

    def summary(self) -> dict[str, Any]:
        """What the stored profile keeps of the fit (JSON)."""
        return {
            "code": self.code, "status": self.status, "n": self.n, "per_class": self.per_class,
            "outside_classes": self.outside_classes, "period": [self.first_utc, self.last_utc],
            "fitted_classes": list(self.fitted_classes), "card_threshold": self.card_threshold,
            "before": self.before.as_json(), "after": self.after.as_json(),
            "table": [[r.threshold, r.referred.k, r.referred.n, r.accepted_correct.k,
                       r.accepted_correct.n] for r in self.table],
        }


def fit_readings(readings: Iterable[Reading], model_sha256: str) -> list[Reading]:
    """The readings a fit may use (see the module's doc), oldest first."""
    newest_per_image: dict[str, Reading] = {}
    for r in readings:
        if r.model_sha256 != model_sha256 or r.out_of_distribution or not is_confirmed(r):
            continue
        key = r.file_sha256 or f"reading:{r.id}"
        old = newest_per_image.get(key)
        if old is None or (r.created_utc, r.id or 0) > (old.created_utc, old.id or 0):
            newest_per_image[key] = r
    return sorted(newest_per_image.values(), key=lambda r: (r.created_utc, r.id or 0))


def _arrays(readings: Sequence[Reading], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray,
                                                                          np.ndarray]:
    p = np.array([[float((r.model_probabilities or r.probabilities).get(k, 0.0)) for k in labels]
                  for r in readings], dtype=np.float64)
    p /= np.clip(p.sum(axis=1, keepdims=True), 1e-300, None)
    y = np.array([labels.index(r.confirmed_label) if r.confirmed_label in labels else -1
                  for r in readings], dtype=int)
    folds = np.array([site_fit.fold_of(r.patient_id or r.file_sha256 or f"reading:{r.id}")
                      for r in readings], dtype=int)
    return p, y, folds


def _table(q: np.ndarray, y: np.ndarray, chosen: float | None,
           card: float) -> tuple[ThresholdRow, ...]:
    rows = []
    for t in site_fit.table_thresholds([card] + ([chosen] if chosen is not None else [])):
        o = site_fit.outcome(q, y, t)
        rows.append(ThresholdRow(t, Proportion(o.referred, o.n),
                                 Proportion(o.accepted_correct, o.accepted),
                                 chosen is not None and abs(t - chosen) < 5e-7, abs(t - card) < 5e-7))
    return tuple(rows)


def _code(model_sha256: str, ids: Sequence[int], calibration: site_fit.Calibration,
          threshold: float | None) -> str:
    blob = json.dumps([model_sha256, list(ids), round(calibration.slope, 6),
                       [round(float(c), 6) for c in calibration.offsets],
                       None if threshold is None else round(threshold, 6)])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8].upper()


def _status(chosen: float | None, before: Figures, after: Figures) -> str:
    """UNREACHABLE: no threshold reaches the target. NOT_BETTER: judged on readings it was not
    fitted on, the site calibration predicts the confirmed findings no better than the model's
    own (mean negative log-likelihood, a proper score that uses every reading, so it is not at
    the mercy of the one or two errors a 0.5% rate leaves in a few hundred readings).
    NOT_NEEDED: the card already meets the target here (counted, with one error added: a
    uniform prior) and the procedure would not refer fewer. Otherwise RECOMMENDED."""
    target = site_fit.TARGET_ACCEPTED_CORRECT
    b = before.accepted_correct
    if chosen is None:
        return UNREACHABLE
    if before.nll is not None and after.nll is not None and after.nll >= before.nll:
        return NOT_BETTER
    card_meets = b.n > 0 and (b.n - b.k + 1) / (b.n + 2) <= 1 - target
    if card_meets and after.referred.k >= before.referred.k:
        return NOT_NEEDED
    return RECOMMENDED


def propose(readings: Sequence[Reading], labels: Sequence[str], model_name: str,
            model_version: str, model_sha256: str, card_threshold: float) -> Proposal:
    """Fit on ``fit_readings(...)`` (the caller checks ``MIN_CONFIRMED``)."""
    labels = tuple(labels)
    p, y, folds = _arrays(readings, labels)
    calibration = site_fit.fit_calibration(p, y)
    oof = site_fit.out_of_fold(p, y, folds)
    chosen = site_fit.choose_threshold(oof, y)
    after_outcome, nested_q = site_fit.nested_outcome(p, y, folds)
    before = Figures.of(p, y, site_fit.outcome(p, y, card_threshold))
    after = Figures.of(nested_q, y, after_outcome)
    status = _status(chosen, before, after)
    ids = tuple(int(r.id or 0) for r in readings)
    return Proposal(
        model_name=model_name, model_version=model_version, model_sha256=model_sha256,
        labels=labels, reading_ids=ids,
        per_class={label: int((y == i).sum()) for i, label in enumerate(labels)},
        outside_classes=int((y < 0).sum()),
        first_utc=readings[0].created_utc, last_utc=readings[-1].created_utc,
        temperature=calibration.temperature,
        offsets={label: float(c) for label, c in zip(labels, calibration.offsets)},
        fitted_classes=tuple(label for label, f in zip(labels, calibration.fitted) if f),
        uncertain_below=chosen, card_threshold=card_threshold, before=before, after=after,
        table=_table(oof, y, chosen, card_threshold), status=status,
        code=_code(model_sha256, ids, calibration, chosen),
    )
