"""sqlite3 and OS errors -> StorageError with a message a nurse can read (the technical text is
kept in ``detail`` and the log)."""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
from pathlib import Path

from cxr_desktop.core.errors import StorageError

log = logging.getLogger("cxr_desktop.core.storage")

_PREFIX = {
    "open": "The reading history could not be opened",
    "save": "The reading history could not be saved",
    "read": "The reading history could not be read",
    "export": "The reading history could not be exported",
}


def _sqlite_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def _is_busy(exc: BaseException) -> bool:
    code = _sqlite_code(exc)
    if code is not None:
        return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _reason(exc: BaseException) -> str:
    """Why, in words a nurse can read."""
    code = _sqlite_code(exc)
    text = str(exc).lower()
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return "the disk is full. Free some disk space and try again."
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return "the folder is read-only or you do not have permission to write there."
        if exc.errno in (errno.ENOTDIR, errno.ENOENT):
            return "the folder does not exist or is not a folder."
        return "the disk could not be read or written."
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return "the disk is full. Free some disk space and try again."
    if code == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
        return "the folder or file is read-only or you do not have permission to write there."
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or _is_busy(exc):
        return "it is being used by another program. Please try again in a moment."
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT) or "not a database" in text or "malformed" in text:
        return "the history file is damaged or is not a CXR Desktop history file."
    if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return "the file or its folder could not be opened or created."
    if code == sqlite3.SQLITE_IOERR or "disk i/o" in text:
        return "the disk could not be read or written."
    return "an unexpected database problem occurred."


def _disk_is_full(where: Path | str) -> bool:
    """Less than 1 MiB free where ``where`` lives (SQLite then fails with a vague I/O error)."""
    folder = Path(where)
    try:
        folder = folder if folder.is_dir() else folder.parent
        return shutil.disk_usage(folder).free < (1 << 20)
    except OSError:
        return False


def _storage_error(exc: BaseException, action: str, where: Path | str | None = None) -> StorageError:
    reason = _reason(exc)
    vague = _sqlite_code(exc) in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN)
    if vague and where is not None and _disk_is_full(where):  # e.g. no room for the -shm file
        reason = "the disk is full. Free some disk space and try again."
    message = f"{_PREFIX[action]}: {reason}"
    detail = f"{where}: {type(exc).__name__}: {exc}" if where else f"{type(exc).__name__}: {exc}"
    log.info("storage %s failed: %s", action, detail)  # the caller reports it; detail is kept
    return StorageError(message, detail=detail)
