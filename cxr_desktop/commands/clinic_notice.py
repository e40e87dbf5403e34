"""The command line says when it works offline (issue 15): one line on stderr when the clinic
database cannot be reached, so a script sees it and a person knows their readings are kept."""

from __future__ import annotations

import sys

from cxr_desktop.commands.output import write_line
from cxr_desktop.i18n import _


def offline_notice(store: object, probe: bool = True) -> None:
    from cxr_desktop.service.sync import QueueingHistory, describe

    store = getattr(store, "inner", store)  # a GuardedHistory's (signed in)
    if not isinstance(store, QueueingHistory):
        return
    if probe:
        try:
            store.count(None)  # one attempt, so that the status is known
        except Exception:  # noqa: BLE001 - the command's own call reports real errors
            pass
    text = describe(store.status())
    if text:
        write_line(sys.stderr, _("note: {message}").format(message=text))


def site_calibration_notice(site: object) -> None:
    """Issue 12 while offline: the readings use the site calibration as last known from the
    clinic database; say so (``site`` is a known ``SiteCalibration``)."""
    state = site.state(timeout_s=0)  # type: ignore[attr-defined]
    message = state.message() if state.last_known_utc is not None else None
    if message:
        write_line(sys.stderr, _("note: {message}").format(message=message))
