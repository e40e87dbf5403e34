"""``cxr-desktop calibrate``: the site calibration from the command line.

    calibrate                       which site calibration is in use (and every one before)
    calibrate --fit [--json]        fit one on the confirmed readings and show it; nothing changes
    calibrate --apply --proposal CODE --signed-by NAME
                                    fit again and, when it is the fit shown (same CODE), use it
    calibrate --rollback --signed-by NAME
                                    stop using the current one (the previous one comes back)
"""

from __future__ import annotations

import argparse
from typing import Any

from cxr_desktop.commands import clinic_notice, staff
from cxr_desktop.commands.output import EXIT_ERROR, EXIT_OK, emit_json, print_error, print_line
from cxr_desktop.commands.quality import add_period_arguments, model_in_use
from cxr_desktop.core.labels import display_label
from cxr_desktop.i18n import _, format_datetime, format_number
from cxr_desktop.service.clinic_quality import ModelInUse, proposal_for
from cxr_desktop.service.quality_wording import proposal_status, share
from cxr_desktop.service.quality_wording import threshold as format_threshold
from cxr_desktop.service.site_calibration import load_state, roll_back, sign_off
from cxr_desktop.service.site_proposal import Proposal


def add_parser(sub: Any, common: argparse.ArgumentParser, positive_int: Any) -> None:
    calibrate = sub.add_parser(
        "calibrate", parents=[common], help=_("fit, apply or roll back the site calibration"),
        description=_("Adapt the AI model's probabilities and its 'uncertain' threshold to this "
                      "clinic, from the clinicians' confirmed findings. Nothing changes until a "
                      "supervisor signs a fit off with --apply."))
    action = calibrate.add_mutually_exclusive_group()
    action.add_argument("--fit", action="store_true",
                        help=_("fit a calibration and show it (changes nothing)"))
    action.add_argument("--apply", action="store_true",
                        help=_("use the fit shown by --fit for every new reading"))
    action.add_argument("--rollback", action="store_true",
                        help=_("stop using the current site calibration"))
    calibrate.add_argument("--proposal", default=None, metavar="CODE",
                           help=_("with --apply: the code --fit showed"))
    calibrate.add_argument("--signed-by", default=None, metavar="NAME",
                           help=_("with --apply or --rollback: the supervisor's name"))
    calibrate.add_argument("--json", action="store_true", help=_("one JSON object"))
    add_period_arguments(calibrate)


def run(args: argparse.Namespace) -> int:
    from cxr_desktop.composition import open_store

    model = model_in_use(args.model_dir)
    if (args.apply or args.rollback) and not (args.signed_by or "").strip():
        print_error(_("Say who signs this off with --signed-by NAME."))
        return EXIT_ERROR
    if args.apply and not args.proposal:
        print_error(_("Run --fit first and give the code it shows with --proposal CODE."))
        return EXIT_ERROR
    with open_store() as opened:
        clinic_notice.offline_notice(opened)  # issue 15: a clinic server that is down
        store = staff.guarded(opened)  # a supervisor's, when staff accounts are on
        if args.fit or args.apply:
            proposal = proposal_for(store, model, args.date_from, args.date_to)
            if args.fit:
                emit_json(proposal_json(proposal)) if args.json else print_proposal(proposal)
                return EXIT_OK
            if proposal.code != args.proposal.strip().upper():
                print_error(_("The confirmed readings have changed since that fit (its code is "
                              "now {code}). Look at the new fit with --fit before applying it.")
                            .format(code=proposal.code))
                return EXIT_ERROR
            profile = sign_off(store, proposal, args.signed_by, model.sha256)
            print_line(_("Site calibration #{id} signed off by {name}: every new reading uses "
                         "it.").format(id=profile.id, name=profile.signed_by))
            return EXIT_OK
        if args.rollback:
            undone, now = roll_back(store, args.signed_by)
            if now is None:
                print_line(_("Site calibration #{id} rolled back: new readings get the model's "
                             "own calibration.").format(id=undone.id))
            else:
                print_line(_("Site calibration #{id} rolled back: new readings use site "
                             "calibration #{previous} again.").format(id=undone.id,
                                                                      previous=now.id))
            return EXIT_OK
        return print_status(store, model, args.json)


def print_status(store: Any, model: ModelInUse, as_json: bool) -> int:
    state = load_state(store, model.sha256)
    profiles = store.site_profiles()
    if as_json:
        emit_json({"in_use": None if state.in_use is None else state.in_use.id,
                   "refused": state.refused, "message": state.message(),
                   "profiles": [{"id": p.id, "created_utc": p.created_utc,
                                 "model_version": p.model_version, "model_sha256": p.model_sha256,
                                 "temperature": p.temperature, "offsets": p.offsets,
                                 "uncertain_below": p.uncertain_below, "n": p.n_readings,
                                 "signed_by": p.signed_by, "rolled_back_utc": p.rolled_back_utc,
                                 "rolled_back_by": p.rolled_back_by} for p in profiles]})
        return EXIT_OK
    print_line(state.message() or _("No site calibration: readings get the model's own "
                                    "calibration."))
    for p in profiles:
        when = format_datetime(p.created_utc, "short")
        if p.rolled_back_utc:
            print_line(_("  #{id} {time}, model {version}, signed off by {name}, rolled back by "
                         "{by}").format(id=p.id, time=when, version=p.model_version,
                                        name=p.signed_by, by=p.rolled_back_by))
        else:
            print_line(_("  #{id} {time}, model {version}, signed off by {name}").format(
                id=p.id, time=when, version=p.model_version, name=p.signed_by))
    return EXIT_OK


def proposal_json(p: Proposal) -> dict[str, Any]:
    return {
        "code": p.code, "status": p.status, "can_apply": p.can_apply,
        "high_referral": p.high_referral, "model_sha256": p.model_sha256, "n": p.n,
        "per_class": p.per_class, "outside_classes": p.outside_classes,
        "period": [p.first_utc, p.last_utc], "temperature": p.temperature, "offsets": p.offsets,
        "fitted_classes": list(p.fitted_classes), "uncertain_below": p.uncertain_below,
        "card_threshold": p.card_threshold,
        "before": {"referred": p.before.referred.as_json(),
                   "accepted_correct": p.before.accepted_correct.as_json(),
                   "nll": p.before.nll, "ece": p.before.ece},
        "after": {"referred": p.after.referred.as_json(),
                  "accepted_correct": p.after.accepted_correct.as_json(),
                  "nll": p.after.nll, "ece": p.after.ece},
        "table": [{"threshold": r.threshold, "referred": r.referred.as_json(),
                   "accepted_correct": r.accepted_correct.as_json(), "chosen": r.chosen,
                   "model_card_threshold": r.model_card} for r in p.table],
    }


def print_proposal(p: Proposal) -> None:
    print_line(_("Site calibration fitted on {count} confirmed readings ({start} to {end}).")
               .format(count=format_number(p.n), start=format_datetime(p.first_utc, "short"),
                       end=format_datetime(p.last_utc, "short")))
    for label, count in p.per_class.items():
        print_line(_("  confirmed {label}: {count}").format(label=display_label(label),
                                                            count=format_number(count)))
    print_line(_("  confirmed outside the model's classes (counted as errors): {count}").format(
        count=format_number(p.outside_classes)))
    offsets = ", ".join(f"{display_label(k)} {v:+.2f}" for k, v in p.offsets.items())
    threshold = format_threshold(p.uncertain_below)
    print_line(_("Temperature {temperature}; class offsets {offsets}; uncertain below "
                 "{threshold}.").format(temperature=format_number(p.temperature, 3),
                                        offsets=offsets, threshold=threshold))
    print_line(_("Before (the model's own calibration, uncertain below {threshold}): referred "
                 "{referred}; correct among accepted {correct}.").format(
        threshold=format_threshold(p.card_threshold), referred=share(p.before.referred),
        correct=share(p.before.accepted_correct)))
    print_line(_("After (cross-validated on this clinic's readings): referred {referred}; "
                 "correct among accepted {correct}.").format(
        referred=share(p.after.referred), correct=share(p.after.accepted_correct)))
    print_line(_("Threshold table (cross-validated on this clinic's readings):"))
    for row in p.table:
        values = dict(threshold=format_threshold(row.threshold), referred=share(row.referred),
                      correct=share(row.accepted_correct))
        if row.chosen:
            line = _("  uncertain below {threshold} (chosen): referred {referred}; correct among "
                     "accepted {correct}")
        elif row.model_card:
            line = _("  uncertain below {threshold} (the model card's threshold): referred "
                     "{referred}; correct among accepted {correct}")
        else:
            line = _("  uncertain below {threshold}: referred {referred}; correct among accepted "
                     "{correct}")
        print_line(line.format(**values))
    print_line(proposal_status(p))
    if p.can_apply:
        print_line(_("To use it: cxr-desktop calibrate --apply --proposal {code} --signed-by "
                     "\"YOUR NAME\"").format(code=p.code))
