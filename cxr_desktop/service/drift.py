"""The drift test: has this clinic left the band the model card expects?

Decision rule (stated once, here, and in docs/SUPERVISORS.md):

* Window: the most recent ``WINDOW`` (300) readings made with the model in use and the same site
  calibration (or none), so a change of model or profile starts a fresh window.
* For each rate (referral among readings given a class; not a chest X-ray among all readings;
  AI/clinician disagreement among the window's confirmed readings), a one-sided exact binomial
  test of H0: rate <= top of the band (the card's figure, its own upper 95% limit, plus a
  tolerance; ``expected_band.Reference.upper``) against a higher rate, at ``ALPHA`` = 0.001.
  The mean OOD score, when the card gives one, uses a one-sided z test at the same level.
* Only with enough readings: at least ``MIN_READINGS`` (100) in the window, and
  ``MIN_CONFIRMED`` (50) confirmed ones for disagreement. Fewer: "not enough readings yet".
* The notice shows while any test rejects H0.

False alarms on data like ``val``: H0 is placed at the band's top, above the card's own figure,
so a clinic that truly looks like val is tested against a rate it does not reach; at 0.001 per
test, four tests alarm on at most 0.4% of looks even at the band's top, and far less below it
(``false_alarm_rate`` gives the exact figure; tests/service/test_drift.py simulates a year of
daily looks).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_
from cxr_desktop.service.expected_band import ExpectedBand, MeanReference, Reference
from cxr_desktop.service.stats import Proportion, binomial_critical_count, binomial_upper_tail

WINDOW = 300
MIN_READINGS = 100
MIN_CONFIRMED = 50
ALPHA = 0.001
Z_ALPHA = 3.090232306167813  # one-sided 0.001

#: What each monitored figure is called where it is shown (translated there).
NAMES = {
    "referral": N_("Referred as uncertain"),
    "not_cxr": N_("Not a chest X-ray"),
    "disagreement": N_("AI and clinician disagree"),
    "ood_score_mean": N_("Mean out-of-distribution score"),
}


@dataclass(frozen=True)
class DriftCheck:
    key: str  # a key of NAMES
    observed: float | None  # the window's rate or mean
    n: int
    reference: Reference | MeanReference | None
    p_value: float | None  # None: not tested (no reference, or too few readings)
    enough: bool

    @property
    def alarm(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


@dataclass(frozen=True)
class DriftReport:
    checks: tuple[DriftCheck, ...]
    window_n: int
    window_from: str | None
    window_to: str | None

    @property
    def alarm(self) -> bool:
        return any(c.alarm for c in self.checks)

    @property
    def alarms(self) -> tuple[DriftCheck, ...]:
        return tuple(c for c in self.checks if c.alarm)


def is_confirmed(reading: Reading) -> bool:
    return bool(reading.reviewed_utc) and bool(reading.confirmed_label)


def window(readings_newest_first: Iterable[Reading], model_sha256: str,
           site_profile_id: int | None, size: int = WINDOW) -> list[Reading]:
    """The drift window: the newest ``size`` readings of this model and this profile."""
    out: list[Reading] = []
    for reading in readings_newest_first:
        if reading.model_sha256 == model_sha256 and reading.site_profile_id == site_profile_id:
            out.append(reading)
            if len(out) >= size:
                break
    return out


def _rate_check(key: str, k: int, n: int, minimum: int, ref: Reference | None) -> DriftCheck:
    observed = k / n if n else None
    if ref is None or n < minimum:
        return DriftCheck(key, observed, n, ref, None, n >= minimum)
    return DriftCheck(key, observed, n, ref, binomial_upper_tail(k, n, ref.upper), True)


def _mean_check(values: Sequence[float], ref: MeanReference | None) -> DriftCheck:
    n = len(values)
    mean = sum(values) / n if n else None
    if ref is None or n < MIN_READINGS or mean is None:
        return DriftCheck("ood_score_mean", mean, n, ref, None, n >= MIN_READINGS)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) or 1e-12
    z = (mean - ref.upper) / (sd / math.sqrt(n))
    return DriftCheck("ood_score_mean", mean, n, ref, 0.5 * math.erfc(z / math.sqrt(2)), True)


def check_drift(window_readings: Sequence[Reading], band: ExpectedBand) -> DriftReport:
    """The four tests on one window (any order)."""
    classified = [r for r in window_readings if not r.out_of_distribution]
    confirmed = [r for r in window_readings if is_confirmed(r)]
    scores = [float(r.ood_score) for r in window_readings
              if r.ood_score is not None and math.isfinite(r.ood_score)]
    checks = (
        _rate_check("referral", sum(r.uncertain for r in classified), len(classified),
                    MIN_READINGS, band.referral),
        _rate_check("not_cxr", sum(r.out_of_distribution for r in window_readings),
                    len(window_readings), MIN_READINGS, band.not_cxr),
        _rate_check("disagreement", sum(r.label != r.confirmed_label for r in confirmed),
                    len(confirmed), MIN_CONFIRMED, band.disagreement),
        _mean_check(scores, band.ood_score_mean),
    )
    times = sorted(r.created_utc for r in window_readings)
    return DriftReport(checks, len(window_readings), times[0] if times else None,
                       times[-1] if times else None)


def false_alarm_rate(true_rate: float, reference: Reference, n: int = WINDOW) -> float:
    """P(one look alarms) when the clinic's true rate is ``true_rate``, for a window of n."""
    k = binomial_critical_count(n, reference.upper, ALPHA)
    return binomial_upper_tail(k, n, true_rate)


def proportion(check: DriftCheck) -> Proportion | None:
    if check.observed is None or check.key == "ood_score_mean":
        return None
    return Proportion(round(check.observed * check.n), check.n)
