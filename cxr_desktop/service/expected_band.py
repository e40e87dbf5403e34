"""What the model card expects a clinic to see: the reference figures the quality view draws and
the drift test compares against.

Read from the card's ``monitoring`` block when it has one, otherwise from the ``metrics.json``
written beside it by the training pipeline (only when it names the same model sha256):

* referral rate      ``val.referral.referral_rate`` (share of readings flagged uncertain)
* not a chest X-ray  1 - ``val.ood_accepted_rate``
* disagreement       1 - ``val.accuracy`` (on val every reading has its confirmed finding)
* mean OOD score     ``val.ood_score_mean`` / ``val.ood_score_sd`` when the card gives them
* under style shift  the worst figure of ``style_suite.styles`` (context, drawn, never tested)

A figure the card does not give is not monitored (the view says so). When a site profile is in
use, its own cross-validated referral and disagreement replace the card's: the supervisor signed
off on those.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cxr_desktop.core.model_card import ModelCard
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.service.stats import wilson

log = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"

#: How far above the card's figure (beyond its own 95% upper limit) a clinic may be before the
#: drift test looks: changes smaller than these would not make a supervisor act.
TOLERANCE = {"referral": 0.03, "not_cxr": 0.01, "disagreement": 0.02, "ood_score_mean": 0.10}


@dataclass(frozen=True)
class Reference:
    """The card's figure for one rate, measured on ``n`` images of ``source``."""

    value: float
    n: int
    tolerance: float
    source: str  # "val", or "site calibration #3"
    shifted: float | None = None  # worst figure under the style-shift suite, if measured

    @property
    def upper(self) -> float:
        """Top of the expected band: the figure's upper 95% limit plus the tolerance."""
        ci = wilson(round(self.value * self.n), self.n) if self.n > 0 else None
        return min(1.0, (ci[1] if ci else self.value) + self.tolerance)


@dataclass(frozen=True)
class MeanReference:
    """The card's mean OOD score (score / threshold; > 1 is refused) and its spread."""

    mean: float
    sd: float
    n: int
    tolerance: float
    source: str

    @property
    def upper(self) -> float:
        half = 1.96 * self.sd / math.sqrt(self.n) if self.n > 0 else 0.0
        return self.mean + half + self.tolerance


@dataclass(frozen=True)
class ExpectedBand:
    model_sha256: str
    referral: Reference | None = None
    not_cxr: Reference | None = None
    disagreement: Reference | None = None
    ood_score_mean: MeanReference | None = None

    def with_site_profile(self, profile: SiteProfile | None) -> ExpectedBand:
        """The band while ``profile`` is in use: its cross-validated referral and disagreement."""
        if profile is None:
            return self
        after = (profile.fit or {}).get("after") or {}
        source = f"site calibration #{profile.id}"
        out = self
        referred, n = after.get("referred"), after.get("n")
        if isinstance(referred, (int, float)) and isinstance(n, int) and n > 0:
            out = replace(out, referral=Reference(referred / n, n, TOLERANCE["referral"], source))
        correct = after.get("correct")
        if isinstance(correct, (int, float)) and isinstance(n, int) and n > 0:
            out = replace(out, disagreement=Reference(1 - correct / n, n,
                                                      TOLERANCE["disagreement"], source))
        return out


def _number(obj: Any, *path: str) -> float | None:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return float(obj) if isinstance(obj, (int, float)) and math.isfinite(obj) else None


def _worst(styles: Any, key: str, complement: bool) -> float | None:
    if not isinstance(styles, dict):
        return None
    values = [_number(s, key) for s in styles.values()]
    values = [1 - v if complement else v for v in values if v is not None]
    return max(values) if values else None


def band_from_figures(sha256: str, figures: dict[str, Any]) -> ExpectedBand:
    """The band from a metrics-like dict (``val`` and optionally ``style_suite``)."""
    val = figures.get("val") if isinstance(figures.get("val"), dict) else {}
    n = int(_number(val, "n") or 0)
    styles = (figures.get("style_suite") or {}).get("styles") if isinstance(
        figures.get("style_suite"), dict) else None

    def ref(key: str, value: float | None, shifted: float | None) -> Reference | None:
        return None if value is None or n <= 0 else Reference(value, n, TOLERANCE[key], "val",
                                                              shifted)

    referral = _number(val, "referral", "referral_rate")
    accepted = _number(val, "ood_accepted_rate")
    accuracy = _number(val, "accuracy")
    mean, sd = _number(val, "ood_score_mean"), _number(val, "ood_score_sd")
    return ExpectedBand(
        sha256,
        referral=ref("referral", referral, _worst(styles, "referral_rate", False)),
        not_cxr=ref("not_cxr", None if accepted is None else 1 - accepted,
                    _worst(styles, "ood_accepted", True)),
        disagreement=ref("disagreement", None if accuracy is None else 1 - accuracy,
                         _worst(styles, "accuracy", True)),
        ood_score_mean=(MeanReference(mean, sd, n, TOLERANCE["ood_score_mean"], "val")
                        if mean is not None and sd is not None and n > 1 else None),
    )


def expected_band(card: ModelCard) -> ExpectedBand:
    """The band of the loaded model (empty when its card and metrics give none)."""
    monitoring = card.raw.get("monitoring") if isinstance(card.raw, dict) else None
    if isinstance(monitoring, dict):
        return band_from_figures(card.sha256, monitoring)
    path = Path(card.folder) / METRICS_FILE
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.info("no expected band: %s (%s)", METRICS_FILE, type(exc).__name__)
        return ExpectedBand(card.sha256)
    sha = _text(figures, "model", "sha256")
    if not isinstance(figures, dict) or sha is None or sha.lower() != card.sha256.lower():
        log.info("no expected band: %s is for another model", METRICS_FILE)
        return ExpectedBand(card.sha256)
    return band_from_figures(card.sha256, figures)


def _text(obj: Any, *path: str) -> str | None:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj if isinstance(obj, str) else None
