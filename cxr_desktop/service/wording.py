"""What a result says, in careful words: the same sentences on screen, in the CLI and on paper.

``ResultSummary`` is everything the screen shows about a result, made from a fresh Prediction or
from a stored Reading (a reopened reading shows exactly what the fresh result showed).
``describe(summary)`` turns it into ``ResultWords``: a banner, the finding sentence and the
cautions, each a whole translatable sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cxr_desktop.core.labels import display_label
from cxr_desktop.core.types import Prediction, Reading
from cxr_desktop.i18n import N_, _, format_number, format_percent

DISCLAIMER = N_("Second opinion only, not a diagnosis. A clinician must confirm every finding.")


class Banner(Enum):
    NONE = "none"
    UNCERTAIN = "uncertain"  # refer to a radiologist
    NOT_XRAY = "not_xray"  # not a frontal chest X-ray: no class is given


@dataclass(frozen=True)
class ResultSummary:
    """What the screen shows about one result."""

    probabilities: dict[str, float]
    label: str  # the top class (also when out of distribution)
    uncertain: bool
    out_of_distribution: bool
    model_name: str
    model_version: str
    time_ms: float | None
    ood_reason: str | None = None
    cautions: tuple[str, ...] = ()

    @classmethod
    def from_prediction(cls, p: Prediction) -> ResultSummary:
        return cls(dict(zip(p.labels, p.probabilities, strict=True)), p.label, p.uncertain,
                   p.out_of_distribution, p.model_name, p.model_version, p.total_ms,
                   p.ood_reason, tuple(p.cautions))

    @classmethod
    def from_reading(cls, r: Reading) -> ResultSummary:
        probs = dict(r.probabilities)
        label = r.label if r.label in probs else (max(probs, key=probs.get) if probs else r.label)
        return cls(probs, label, r.uncertain, r.out_of_distribution, r.model_name,
                   r.model_version, r.inference_ms, r.ood_reason, tuple(r.cautions))

    @property
    def top_probability(self) -> float:
        return self.probabilities.get(self.label, 0.0)

    @property
    def shows_heatmap(self) -> bool:
        """No heatmap for an image that is not a chest X-ray: there is no finding to explain."""
        return not self.out_of_distribution


@dataclass(frozen=True)
class ResultWords:
    banner: Banner
    banner_text: str
    finding: str
    cautions: tuple[str, ...]
    model_line: str


def finding_sentence(label: str, probability: float) -> str:
    percent = format_percent(probability)
    if label.strip().lower() == "normal":
        return _("No pattern of COVID-19 or viral pneumonia found (consistent with a normal "
                 "chest X-ray) ({percent})").format(percent=percent)
    return _("Pattern consistent with {finding} ({percent})").format(
        finding=display_label(label), percent=percent)


def time_text(ms: float) -> str:
    if ms >= 1000:
        return _("{seconds} s").format(seconds=format_number(ms / 1000, 2))
    return _("{milliseconds} ms").format(milliseconds=format_number(ms))


def model_line(summary: ResultSummary) -> str:
    if summary.time_ms is None:
        return _("Model: {name} {version}").format(name=summary.model_name,
                                                   version=summary.model_version)
    return _("Model: {name} {version} \u00b7 time {time}").format(
        name=summary.model_name, version=summary.model_version, time=time_text(summary.time_ms))


def describe(summary: ResultSummary) -> ResultWords:
    cautions = tuple(summary.cautions)
    if summary.out_of_distribution:
        if summary.ood_reason:
            banner = _("This is not a frontal chest X-ray.")
            finding = _("{reason} No result is given. Check that the image is a frontal chest "
                        "X-ray of good quality, or refer to a radiologist.").format(
                reason=summary.ood_reason)
        else:
            banner = _("This does not look like a frontal chest X-ray.")
            finding = _("No result is given. Check that the image is a frontal chest X-ray of "
                        "good quality, or refer to a radiologist.")
        return ResultWords(Banner.NOT_XRAY, banner, finding, cautions, model_line(summary))
    if summary.uncertain:
        finding = _("Closest pattern: {finding} ({percent}), but the model is not sure.").format(
            finding=display_label(summary.label), percent=format_percent(summary.top_probability))
        return ResultWords(Banner.UNCERTAIN, _("Uncertain \u2014 refer to a radiologist."),
                           finding, cautions, model_line(summary))
    return ResultWords(Banner.NONE, "", finding_sentence(summary.label, summary.top_probability),
                       cautions, model_line(summary))


def one_line(summary: ResultSummary) -> str:
    """The result in one line, for the command line and history listings."""
    if summary.out_of_distribution:
        if summary.ood_reason:
            return _("Not a chest X-ray. {reason}").format(reason=summary.ood_reason)
        return _("Not a chest X-ray.")
    name, percent = display_label(summary.label), format_percent(summary.top_probability, 1)
    if summary.uncertain:
        return _("{finding} {percent} (uncertain)").format(finding=name, percent=percent)
    return _("{finding} {percent}").format(finding=name, percent=percent)
