"""How the model does at this clinic: the supervisor's figures for a period and a model.

Definitions (the same in the window, the command line and docs/SUPERVISORS.md):

* referred: flagged "uncertain" among readings that were given a class (not "not a chest X-ray");
* not a chest X-ray: among all readings; reviewed: among all readings;
* confirmed: reviewed with a confirmed finding. Only confirmed readings enter the comparison with
  the clinician. A confirmed "Other finding" (or "Not a chest X-ray") is its own row of the
  confusion matrix: it is an error of the model wherever the model gave a class (it lowers PPV,
  agreement, accepted-correct and the reliability curve) and it is in no class's sensitivity;
* sensitivity of a class: the model gave that class, among readings confirmed as it (a reading
  the model refused as "not a chest X-ray" counts as missed); PPV: confirmed as the class among
  readings the model gave that class;
* accepted-correct: right among confirmed readings given a class and not flagged uncertain;
* months are calendar months in UTC, like the stored times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cxr_desktop.core.labels import OTHER_LABEL
from cxr_desktop.core.types import OOD_LABEL, Reading
from cxr_desktop.service.drift import DriftReport, is_confirmed
from cxr_desktop.service.expected_band import ExpectedBand
from cxr_desktop.service.stats import (
    Proportion,
    ReliabilityBin,
    expected_calibration_error,
    mean_with_interval,
    reliability_bins,
)


@dataclass(frozen=True)
class ClassFigures:
    label: str
    sensitivity: Proportion
    ppv: Proportion


@dataclass(frozen=True)
class MonthFigures:
    month: str  # "2026-03"
    n: int
    referred: Proportion
    not_cxr: Proportion
    disagreement: Proportion
    ood_score_mean: float | None
    site_profiles: tuple[int, ...]  # the profiles that produced readings this month


@dataclass(frozen=True)
class QualityReport:
    labels: tuple[str, ...]
    date_from: str | None
    date_to: str | None
    models: tuple[tuple[str, str, str], ...]  # (name, version, sha256) seen in the period
    n: int
    referred: Proportion
    not_cxr: Proportion
    reviewed: Proportion
    confirmed: Proportion
    truth_rows: tuple[str, ...]  # the confusion matrix's rows (confirmed findings)
    ai_columns: tuple[str, ...]  # its columns (the model's answer)
    confusion: tuple[tuple[int, ...], ...]
    per_class: tuple[ClassFigures, ...]
    agreement: Proportion
    accepted_correct: Proportion
    reliability: tuple[ReliabilityBin, ...]
    ece: float | None
    ood_score_mean: tuple[float, float, float] | None
    months: tuple[MonthFigures, ...]
    band: ExpectedBand
    drift: DriftReport | None = None
    other_confirmed: int = 0
    site_profiles: tuple[int, ...] = field(default_factory=tuple)


def _labels_of(readings: Sequence[Reading], labels: Sequence[str] | None) -> tuple[str, ...]:
    if labels:
        return tuple(labels)
    seen: dict[str, None] = {}
    for r in readings:
        for key in r.probabilities:
            seen.setdefault(key, None)
    return tuple(sorted(seen))


def _month(readings: list[Reading], month: str) -> MonthFigures:
    classified = [r for r in readings if not r.out_of_distribution]
    confirmed = [r for r in readings if is_confirmed(r)]
    scores = [r.ood_score for r in readings if r.ood_score is not None]
    return MonthFigures(
        month, len(readings),
        Proportion(sum(r.uncertain for r in classified), len(classified)),
        Proportion(sum(r.out_of_distribution for r in readings), len(readings)),
        Proportion(sum(r.label != r.confirmed_label for r in confirmed), len(confirmed)),
        sum(scores) / len(scores) if scores else None,
        tuple(sorted({r.site_profile_id for r in readings if r.site_profile_id is not None})),
    )


def quality_report(readings: Iterable[Reading], band: ExpectedBand,
                   labels: Sequence[str] | None = None, date_from: str | None = None,
                   date_to: str | None = None, drift: DriftReport | None = None) -> QualityReport:
    """The figures of ``readings`` (already filtered to the period and model wanted)."""
    rows = list(readings)
    names = _labels_of(rows, labels)
    classified = [r for r in rows if not r.out_of_distribution]
    confirmed = [r for r in rows if is_confirmed(r)]
    truths = list(names) + [OTHER_LABEL]
    extra = sorted({r.confirmed_label for r in confirmed} - set(truths) - {None})  # type: ignore[arg-type]
    truths += [t for t in extra if t != OOD_LABEL] + ([OOD_LABEL] if OOD_LABEL in extra else [])
    columns = list(names) + [OOD_LABEL]
    matrix = [[0] * len(columns) for _ in truths]
    for r in confirmed:
        col = columns.index(r.label) if r.label in columns else len(columns) - 1
        matrix[truths.index(r.confirmed_label)][col] += 1  # type: ignore[arg-type]
    per_class = []
    for i, label in enumerate(names):
        truth_total = sum(matrix[i])
        called = sum(matrix[t][i] for t in range(len(truths)))
        per_class.append(ClassFigures(label, Proportion(matrix[i][i], truth_total),
                                      Proportion(matrix[i][i], called)))
    given_class = [r for r in confirmed if not r.out_of_distribution]
    accepted = [r for r in given_class if not r.uncertain]
    confidence = [max(r.probabilities.values()) if r.probabilities else 0.0 for r in given_class]
    bins = reliability_bins(confidence, [r.label == r.confirmed_label for r in given_class])
    by_month: dict[str, list[Reading]] = {}
    for r in rows:
        by_month.setdefault(r.created_utc[:7], []).append(r)
    models = sorted({(r.model_name, r.model_version, r.model_sha256) for r in rows})
    return QualityReport(
        labels=names, date_from=date_from, date_to=date_to, models=tuple(models), n=len(rows),
        referred=Proportion(sum(r.uncertain for r in classified), len(classified)),
        not_cxr=Proportion(len(rows) - len(classified), len(rows)),
        reviewed=Proportion(sum(bool(r.reviewed_utc) for r in rows), len(rows)),
        confirmed=Proportion(len(confirmed), len(rows)),
        truth_rows=tuple(truths), ai_columns=tuple(columns),
        confusion=tuple(tuple(row) for row in matrix), per_class=tuple(per_class),
        agreement=Proportion(sum(r.label == r.confirmed_label for r in confirmed), len(confirmed)),
        accepted_correct=Proportion(sum(r.label == r.confirmed_label for r in accepted),
                                    len(accepted)),
        reliability=tuple(bins), ece=expected_calibration_error(bins),
        ood_score_mean=mean_with_interval([r.ood_score for r in rows if r.ood_score is not None]),
        months=tuple(_month(by_month[m], m) for m in sorted(by_month)),
        band=band, drift=drift,
        other_confirmed=sum(r.confirmed_label not in names for r in confirmed),
        site_profiles=tuple(sorted({r.site_profile_id for r in rows
                                    if r.site_profile_id is not None})),
    )
