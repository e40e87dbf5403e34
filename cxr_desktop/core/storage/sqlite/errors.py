"""sqlite3 and OS errors -> StorageError with a message a nurse can read (the technical text is
kept in ``detail`` and the log). A message is two whole sentences: what failed, then why."""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
from pathlib import Path

from cxr_desktop.core.errors import StorageError
from cxr_desktop.i18n import N_, _
from cxr_desktop.privacy import redact

log = logging.getLogger("cxr_desktop.core.storage")

WHAT_FAILED = {
    "open": N_("The reading history could not be opened."),
    "save": N_("The reading history could not be saved."),
    "read": N_("The reading history could not be read."),
    "export": N_("The reading history could not be exported."),
}

DISK_FULL = N_("The disk is full. Free some disk space and try again.")
NO_PERMISSION = N_("The folder is read-only or you do not have permission to write there.")
NO_FOLDER = N_("The folder does not exist or is not a folder.")
DISK_ERROR = N_("The disk could not be read or written.")
FILE_READ_ONLY = N_("The folder or file is read-only or you do not have permission to write there.")
IN_USE = N_("It is being used by another program. Please try again in a moment.")
DAMAGED = N_("The history file is damaged or is not a CXR Desktop history file.")
CANNOT_OPEN = N_("The file or its folder could not be opened or created.")
UNEXPECTED = N_("An unexpected database problem occurred.")
PLACE_TAKEN = N_("Its place on disk is taken by a folder or another item.")


def sentences(action: str, reason: str) -> str:
    """The user message: what failed (``action``) and why (an untranslated ``reason``)."""
    return f"{_(WHAT_FAILED[action])} {_(reason)}"


def sqlite_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_busy(exc: BaseException) -> bool:
    code = sqlite_code(exc)
    if code is not None:
        return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def reason_for(exc: BaseException) -> str:
    """Why, in words a nurse can read (untranslated; see ``sentences``)."""
    code = sqlite_code(exc)
    text = str(exc).lower()
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return DISK_FULL
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return NO_PERMISSION
        if exc.errno in (errno.ENOTDIR, errno.ENOENT):
            return NO_FOLDER
        return DISK_ERROR
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return DISK_FULL
    if code == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
        return FILE_READ_ONLY
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or is_busy(exc):
        return IN_USE
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT) or "not a database" in text or "malformed" in text:
        return DAMAGED
    if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return CANNOT_OPEN
    if code == sqlite3.SQLITE_IOERR or "disk i/o" in text:
        return DISK_ERROR
    return UNEXPECTED


def _disk_is_full(where: Path | str) -> bool:
    """Less than 1 MiB free where ``where`` lives (SQLite then fails with a vague I/O error)."""
    folder = Path(where)
    try:
        folder = folder if folder.is_dir() else folder.parent
        return shutil.disk_usage(folder).free < (1 << 20)
    except OSError:
        return False


def storage_error(exc: BaseException, action: str, where: Path | str | None = None) -> StorageError:
    reason = reason_for(exc)
    vague = sqlite_code(exc) in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN)
    if vague and where is not None and _disk_is_full(where):  # e.g. no room for the -shm file
        reason = DISK_FULL
    detail = f"{where}: {type(exc).__name__}: {exc}" if where else f"{type(exc).__name__}: {exc}"
    log.info("storage %s failed: %s: %s", action, type(exc).__name__,
             redact(str(exc), where))  # no path or file name in the log
    return StorageError(sentences(action, reason), detail=detail)
