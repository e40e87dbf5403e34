"""``cxr-desktop quality [--from D] [--to D] [--all-models] [--json]``: how the model does at this
clinic, the same figures as the window's quality view."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cxr_desktop.commands import clinic_notice, staff
from cxr_desktop.commands.output import EXIT_OK, emit_json, print_line
from cxr_desktop.core.labels import display_label
from cxr_desktop.i18n import _, format_number, ngettext
from cxr_desktop.service.clinic_quality import ClinicQuality, ModelInUse, clinic_quality
from cxr_desktop.service.drift import DriftReport, proportion
from cxr_desktop.service.quality import QualityReport
from cxr_desktop.service.quality_wording import (
    check_sentence,
    drift_headline,
    percent,
    share,
)


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    quality = sub.add_parser(
        "quality", parents=[common], help=_("how the AI model does at this clinic"),
        description=_("Figures for supervisors: referrals, agreement with the clinicians' "
                      "confirmed findings, calibration, month by month, and the drift test."))
    add_period_arguments(quality)
    quality.add_argument("--all-models", action="store_true",
                         help=_("include readings of every model version, not only the one "
                                "installed"))
    quality.add_argument("--json", action="store_true", help=_("one JSON object"))


def add_period_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", default=None, metavar="DATE",
                        help=_("first day (YYYY-MM-DD, UTC)"))
    parser.add_argument("--to", dest="date_to", default=None, metavar="DATE",
                        help=_("last day, included (YYYY-MM-DD, UTC)"))
    parser.add_argument("--model-dir", type=Path, default=None, metavar="DIR",
                        help=_("folder holding the model"))


def model_in_use(model_dir: Path | None) -> ModelInUse:
    from cxr_desktop import paths
    from cxr_desktop.core.labels import register_card_names
    from cxr_desktop.core.model_card import load_model_card

    card = load_model_card(model_dir if model_dir is not None else paths.model_dir())
    register_card_names(card.display_labels)
    return ModelInUse.from_card(card)


def run(args: argparse.Namespace) -> int:
    from cxr_desktop.composition import open_store

    model = model_in_use(args.model_dir)
    with open_store() as opened:
        clinic_notice.offline_notice(opened)  # issue 15: a clinic server that is down
        store = staff.guarded(opened)  # a supervisor's, when staff accounts are on
        result = clinic_quality(store, model, args.date_from, args.date_to, args.all_models)
    if args.json:
        emit_json(quality_json(result, model))
    else:
        print_report(result, model)
    return EXIT_OK


# -- JSON -------------------------------------------------------------------------------------


def drift_json(report: DriftReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    checks = []
    for c in report.checks:
        ref = c.reference
        checks.append({"figure": c.key, "observed": c.observed, "n": c.n, "enough": c.enough,
                       "band_top": None if ref is None else ref.upper,
                       "reference": None if ref is None else getattr(ref, "value", None),
                       "reference_source": None if ref is None else ref.source,
                       "p_value": c.p_value, "alarm": c.alarm,
                       "share": None if proportion(c) is None else proportion(c).as_json()})
    return {"alarm": report.alarm, "window": report.window_n, "from": report.window_from,
            "to": report.window_to, "checks": checks}


def quality_json(result: ClinicQuality, model: ModelInUse) -> dict[str, Any]:
    r, state = result.report, result.state
    return {
        "model": {"name": model.name, "version": model.version, "sha256": model.sha256},
        "period": {"from": r.date_from, "to": r.date_to},
        "models_seen": [{"name": n, "version": v, "sha256": s} for n, v, s in r.models],
        "readings": r.n, "referred": r.referred.as_json(), "not_cxr": r.not_cxr.as_json(),
        "reviewed": r.reviewed.as_json(), "confirmed": r.confirmed.as_json(),
        "agreement": r.agreement.as_json(), "accepted_correct": r.accepted_correct.as_json(),
        "other_confirmed": r.other_confirmed,
        "per_class": {c.label: {"sensitivity": c.sensitivity.as_json(), "ppv": c.ppv.as_json()}
                      for c in r.per_class},
        "confusion": {"rows_confirmed": list(r.truth_rows), "columns_ai": list(r.ai_columns),
                      "counts": [list(row) for row in r.confusion]},
        "reliability": [{"low": b.low, "high": b.high, "n": b.n,
                         "mean_confidence": b.mean_confidence, "correct": b.correct.as_json()}
                        for b in r.reliability],
        "ece": r.ece,
        "ood_score_mean": None if r.ood_score_mean is None else list(r.ood_score_mean),
        "months": [{"month": m.month, "n": m.n, "referred": m.referred.as_json(),
                    "not_cxr": m.not_cxr.as_json(), "disagreement": m.disagreement.as_json(),
                    "ood_score_mean": m.ood_score_mean, "site_profiles": list(m.site_profiles)}
                   for m in r.months],
        "drift": drift_json(r.drift),
        "site_calibration": {"profile": None if state.profile is None else state.profile.id,
                             "in_use": state.in_use is not None, "refused": state.refused,
                             "message": state.message()},
    }


# -- text -------------------------------------------------------------------------------------


def print_report(result: ClinicQuality, model: ModelInUse) -> None:
    r = result.report
    period = _("from {start} to {end}").format(start=r.date_from or _("the first reading"),
                                               end=r.date_to or _("the last reading"))
    print_line(_("Quality at this clinic, {period}, model {name} {version}.").format(
        period=period, name=model.name, version=model.version))
    print_line(_("Readings: {count}").format(count=format_number(r.n)))
    for title, value in ((_("Referred as uncertain"), r.referred),
                         (_("Not a chest X-ray"), r.not_cxr), (_("Reviewed"), r.reviewed),
                         (_("Confirmed finding"), r.confirmed),
                         (_("AI and clinician agree"), r.agreement),
                         (_("Correct among accepted readings"), r.accepted_correct)):
        print_line(_("{figure}: {value}").format(figure=title, value=share(value)))
    for c in r.per_class:
        print_line(_("{label}: sensitivity {sensitivity}; PPV {ppv}").format(
            label=display_label(c.label), sensitivity=share(c.sensitivity), ppv=share(c.ppv)))
    print_confusion(r)
    print_line(_("Reliability (top-class confidence against share correct):"))
    for b in r.reliability:
        if b.n:
            print_line(ngettext("  {low} to {high}: {count} reading, mean confidence "
                                "{confidence}, correct {correct}",
                                "  {low} to {high}: {count} readings, mean confidence "
                                "{confidence}, correct {correct}", b.n).format(
                low=percent(b.low), high=percent(b.high), count=format_number(b.n),
                confidence=percent(b.mean_confidence), correct=share(b.correct)))
    print_line(_("Calibration error (ECE): {value}").format(value=percent(r.ece)))
    print_line(_("By month:"))
    for m in r.months:
        print_line(ngettext("  {month}: {count} reading; referred {referred}; not a chest "
                            "X-ray {not_cxr}; AI and clinician disagree {disagree}",
                            "  {month}: {count} readings; referred {referred}; not a chest "
                            "X-ray {not_cxr}; AI and clinician disagree {disagree}", m.n).format(
            month=m.month, count=format_number(m.n), referred=percent(m.referred.estimate),
            not_cxr=percent(m.not_cxr.estimate), disagree=percent(m.disagreement.estimate)))
    print_line(drift_headline(r.drift))
    for check in (r.drift.checks if r.drift else ()):
        print_line("  " + check_sentence(check))
    message = result.state.message()
    print_line(message or _("No site calibration: readings get the model's own calibration."))


def print_confusion(r: QualityReport) -> None:
    print_line(_("Confusion matrix (rows: confirmed finding; columns: the AI's answer):"))
    names = [display_label(c) for c in r.ai_columns]
    width = max([len(display_label(t)) for t in r.truth_rows] + [8])
    print_line(" " * (width + 2) + "  ".join(f"{n:>10.10}" for n in names))
    for truth, row in zip(r.truth_rows, r.confusion):
        print_line(f"  {display_label(truth):<{width}}" + "  ".join(f"{v:>10d}" for v in row))
