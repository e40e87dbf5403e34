"""The quality figures in words: the same sentences in the window and on the command line."""

from __future__ import annotations

from cxr_desktop.i18n import _, format_number, format_percent, ngettext
from cxr_desktop.service.drift import NAMES, DriftCheck, DriftReport
from cxr_desktop.service.expected_band import MeanReference
from cxr_desktop.service.site_calibration import SiteState
from cxr_desktop.service.site_proposal import (
    NOT_BETTER,
    NOT_NEEDED,
    RECOMMENDED,
    UNREACHABLE,
    Proposal,
)
from cxr_desktop.service.stats import Proportion


def percent(value: float | None) -> str:
    if value is None:
        return "\u2014"
    return format_percent(value, 1)


def threshold(value: float | None) -> str:
    """A threshold, precise enough to tell neighbouring ones apart: '97.03%'."""
    if value is None:
        return "\u2014"
    return format_percent(value, 2)


def share(p: Proportion) -> str:
    """'32.1% (29.0-35.4%), 96 of 300' or a dash when there is nothing to count."""
    if p.n == 0 or p.interval is None:
        return "\u2014"
    low, high = p.interval
    return _("{percent} ({low} to {high}), {k} of {n}").format(
        percent=percent(p.estimate), low=percent(low), high=percent(high),
        k=format_number(p.k), n=format_number(p.n))


def check_name(check: DriftCheck) -> str:
    return _(NAMES[check.key])


def check_sentence(check: DriftCheck) -> str:
    """One drift check for people."""
    name = check_name(check)
    ref = check.reference
    if ref is None:
        return _("{name}: not monitored (the model card gives no expected figure).").format(
            name=name)
    if isinstance(ref, MeanReference):
        observed = "\u2014" if check.observed is None else format_number(check.observed, 2)
        expected = format_number(ref.upper, 2)
    else:
        observed, expected = percent(check.observed), percent(ref.upper)
    if not check.enough:
        return ngettext("{name}: not enough readings yet to tell ({count} so far).",
                        "{name}: not enough readings yet to tell ({count} so far).",
                        check.n).format(name=name, count=check.n)
    if check.alarm:
        return _("{name}: {observed} of the last {count} readings, above the expected band "
                 "(at most {expected}).").format(name=name, observed=observed,
                                                  count=check.n, expected=expected)
    if check.observed is not None and check.observed > ref.upper:
        return _("{name}: {observed} of the last {count} readings, above the expected band "
                 "(at most {expected}) but not yet clearly more than chance.").format(
            name=name, observed=observed, count=check.n, expected=expected)
    return _("{name}: {observed} of the last {count} readings, within the expected band "
             "(at most {expected}).").format(name=name, observed=observed, count=check.n,
                                              expected=expected)


def drift_headline(report: DriftReport | None) -> str:
    if report is None or report.window_n == 0:
        return _("No readings of this model version yet.")
    if report.alarm:
        return _("The recent readings at this clinic are outside the range the model card "
                 "expects.")
    if not any(c.p_value is not None for c in report.checks):
        return _("There are not enough recent readings yet to compare them with what the model "
                 "card expects.")
    return _("The recent readings at this clinic are within the range the model card expects.")


def notice_text(report: DriftReport | None, state: SiteState | None) -> str | None:
    """The main window's notice, or None when there is nothing to say."""
    if state is not None and (state.refused or (state.last_known_utc and state.in_use)):
        return state.message()  # refused, or used as last known from a clinic server offline
    if report is not None and report.alarm:
        names = ", ".join(check_name(c) for c in report.alarms)
        return _("Quality notice: recent readings differ from what the AI model expects "
                 "({figures}).").format(figures=names)
    return None


def proposal_status(proposal: Proposal) -> str:
    if proposal.status == UNREACHABLE:
        return _("No threshold reaches 99.5% correct among accepted readings at this clinic. Do "
                 "not use a site calibration; refer more readings and ask for help.")
    if proposal.status == NOT_BETTER:
        return _("Tried on readings it was not fitted on, this calibration predicts the "
                 "confirmed findings no better than the model's own, so it cannot be used. Keep "
                 "the model's own calibration.")
    if proposal.status == NOT_NEEDED:
        return _("The model's own calibration already meets the target at this clinic; a site "
                 "calibration is not needed.")
    assert proposal.status == RECOMMENDED
    if proposal.high_referral:
        return _("This calibration reaches the target only by referring most readings: the AI "
                 "model is not working well on this clinic's images. Ask for help.")
    return _("Tried on readings it was not fitted on, this calibration fits this clinic's "
             "confirmed findings better than the model's own. Its threshold aims at 99.5% correct "
             "among accepted readings; with a few hundred readings the cross-validated figures "
             "above are uncertain by about a percentage point, so keep watching them.")
