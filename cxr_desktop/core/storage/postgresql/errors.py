"""psycopg errors -> StorageError (``DatabaseUnreachableError`` when the server cannot be
reached or the connection was lost: worth trying again later). The technical text goes to
``detail`` and the log, never a password (psycopg's messages do not contain it)."""

from __future__ import annotations

import logging

from cxr_desktop.core.errors import DatabaseUnreachableError, StorageError
from cxr_desktop.core.storage.sqlite.errors import WHAT_FAILED
from cxr_desktop.i18n import N_, _

log = logging.getLogger("cxr_desktop.core.storage")

UNREACHABLE = N_("The clinic database server cannot be reached. Check the network cable or "
                 "Wi-Fi, and that the server is switched on.")
REFUSED_LOGIN = N_("The clinic database refused the user name or password. Check them in "
                   "Settings > Shared clinic database.")
NOT_ALLOWED = N_("The clinic database does not allow this account to do that. Ask the person "
                 "who set up the server.")
NEEDS_UPGRADE = N_("The clinic database must be brought up to date by its administrator "
                   "(cxr-desktop history migrate --to with the owner's address).")
UNEXPECTED = N_("An unexpected problem occurred on the clinic database server.")
TLS_FAILED = N_("The secure connection to the clinic database server could not be checked: "
                "its certificate is not the expected one.")

#: SQLSTATE classes that mean the connection is gone: connection exception, operator
#: intervention (server shut down), insufficient resources (too many connections).
LOST_CLASSES = ("08", "57", "53")


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", None) or "")


def is_unreachable(exc: BaseException) -> bool:
    import psycopg

    if isinstance(exc, (psycopg.errors.InsufficientPrivilege, psycopg.errors.UndefinedTable)):
        return False
    state = _sqlstate(exc)
    if state:
        return state[:2] in LOST_CLASSES
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError, OSError))


def reason_for(exc: BaseException) -> str:
    import psycopg

    text = str(exc).lower()
    if "password authentication failed" in text or _sqlstate(exc) == "28P01":
        return REFUSED_LOGIN
    if "certificate" in text or "ssl" in text and "verify" in text:
        return TLS_FAILED
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return NOT_ALLOWED
    if is_unreachable(exc):
        return UNREACHABLE
    return UNEXPECTED


def storage_error(exc: BaseException, action: str, where: str) -> StorageError:
    """``where`` is the address without password (``ServerAddress.location``)."""
    reason = reason_for(exc)
    detail = f"{where}: {type(exc).__name__}: {exc}".strip()
    log.info("clinic database %s failed: %s", action, type(exc).__name__)
    message = f"{_(WHAT_FAILED[action])} {_(reason)}"
    if reason in (UNREACHABLE, REFUSED_LOGIN, TLS_FAILED) or is_unreachable(exc):
        return DatabaseUnreachableError(message, detail=detail)
    return StorageError(message, detail=detail)
