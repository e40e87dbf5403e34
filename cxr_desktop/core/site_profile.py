"""A site calibration profile: how one clinic adjusts the model's probabilities and its
"uncertain" threshold, fitted on the clinic's own confirmed readings (issue 12).

The stored readings hold the model card's calibrated probabilities p = softmax(logits / T + b).
log p equals those calibrated logits up to an additive constant, so a site profile with
temperature t and class offsets c gives

    q = softmax(log p / t + c)

a pure function applied after the classifier, with the profile's own threshold: a reading is
"uncertain" when max(q) < ``uncertain_below``. A profile belongs to one model (its sha256) and is
refused for any other. Nothing here touches the history or Qt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Probabilities below this are clipped before the logarithm (float64 keeps far smaller
#: values, but a stored 0.0 must not become -inf).
PROBABILITY_FLOOR = 1e-300


@dataclass(frozen=True)
class SiteProfile:
    """One signed-off site calibration. ``id`` is None until stored."""

    id: int | None
    created_utc: str
    model_name: str
    model_version: str
    model_sha256: str
    temperature: float
    offsets: dict[str, float]  # label -> offset added after dividing by the temperature
    uncertain_below: float
    n_readings: int  # confirmed readings it was fitted on
    signed_by: str
    #: What the supervisor saw when signing: the period, before/after figures, the threshold
    #: table (JSON-ready; see ``service.site_fit.FitResult.summary``).
    fit: dict[str, Any] = field(default_factory=dict)
    rolled_back_utc: str | None = None
    rolled_back_by: str | None = None

    @property
    def active(self) -> bool:
        return self.rolled_back_utc is None

    def fits_model(self, model_sha256: str) -> bool:
        return self.model_sha256.lower() == (model_sha256 or "").lower()


def adjust_probabilities(probabilities: Sequence[float], labels: Sequence[str],
                         temperature: float, offsets: Mapping[str, float]) -> tuple[float, ...]:
    """softmax(log p / t + c) for one reading, in the order of ``labels``."""
    if not (temperature > 0 and math.isfinite(temperature)):
        raise ValueError(f"bad temperature {temperature!r}")
    z = [math.log(max(float(p), PROBABILITY_FLOOR)) / temperature + float(offsets.get(label, 0.0))
         for p, label in zip(probabilities, labels, strict=True)]
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return tuple(v / total for v in e)


def apply_profile(probabilities: Sequence[float], labels: Sequence[str],
                  profile: SiteProfile) -> tuple[float, ...]:
    return adjust_probabilities(probabilities, labels, profile.temperature, profile.offsets)
