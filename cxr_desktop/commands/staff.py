"""Signing in on the command line when staff accounts are on (issue 15): the name and PIN from
``CXR_DESKTOP_USER`` / ``CXR_DESKTOP_PIN``, else asked for on the terminal. With accounts off
the history is used as before."""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from collections.abc import Iterator

from cxr_desktop.core.errors import PermissionDeniedError
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.i18n import _
from cxr_desktop.service.accounts import StaffSession
from cxr_desktop.service.guard import GuardedHistory

USER_ENV, PIN_ENV = "CXR_DESKTOP_USER", "CXR_DESKTOP_PIN"


def ask(prompt: str, secret: bool = True) -> str:
    if not sys.stdin or not sys.stdin.isatty():
        raise PermissionDeniedError(_("Staff accounts are on: set {user} and {pin}, or run this "
                                      "in a terminal to be asked.").format(user=USER_ENV,
                                                                           pin=PIN_ENV))
    return getpass.getpass(prompt) if secret else input(prompt)


def guarded(store: HistoryStore) -> GuardedHistory:
    """The history as the person signing in may use it (signed in now when accounts are on)."""
    session = StaffSession(store)
    if session.accounts_enabled():
        name = os.environ.get(USER_ENV) or ask(_("Name: "), secret=False)
        pin = os.environ.get(PIN_ENV) or ask(_("PIN or password: "))
        session.sign_in(name, pin)
    return GuardedHistory(session)


@contextlib.contextmanager
def open_guarded(notice: bool = True) -> Iterator[GuardedHistory]:
    """The history for a command, guarded, closed at the end (issue 11's commands: report,
    summary, import, watch). ``notice``: on a clinic server, first say whether it works offline
    (commands that save say it at the end instead, with what they kept)."""
    from cxr_desktop.commands import clinic_notice
    from cxr_desktop.commands.history_backups import open_cli_store

    with open_cli_store() as opened:
        if notice:
            clinic_notice.offline_notice(opened)
        yield guarded(opened)
