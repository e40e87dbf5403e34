"""What happens before the history's connections are opened (issue 14). In order:

1. A missing or empty main file is a new history only when nothing says otherwise: with a
   non-empty ``-wal`` beside it (SQLite would delete that journal on opening the empty file) the
   journal is set aside and what it holds is saved as a backup; with a journal or backups, no new
   empty history is made (``HistoryMissingError``), the person restores one instead.
2. Journal files missing while another process holds SQLite's locks on the main file: they were
   deleted under that process, which alone still sees the readings in them. Opening now would
   hide those readings and reuse their ids, so the history is not opened (``JournalVanishedError``)
   until that process has put them back (it notices before its next write) or closed.
3. ``integrity.check_at_open`` (``quick_check`` within a time budget). A damaged file is set
   aside and replaced by what could be saved (``recovery.recover_damaged``), under a lock file so
   that two processes never repair at once; a file in use by another process or in a read-only
   folder is not repaired but refused (``DamagedHistoryError``).

Every check reads the database through SQLite only, and file sizes with ``stat``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.storage.safeguards import (
    BackupInfo,
    DamagedHistoryError,
    HistoryMissingError,
    JournalVanishedError,
)
from cxr_desktop.core.storage.sqlite import backup as backups
from cxr_desktop.core.storage.sqlite import journal, schema
from cxr_desktop.core.storage.sqlite.connection import newer_database
from cxr_desktop.core.storage.sqlite.errors import storage_error
from cxr_desktop.core.storage.sqlite.integrity import (
    CheckResult,
    check_at_open,
    is_damage,
    open_for_check,
)
from cxr_desktop.core.storage.sqlite.recovery import (
    journal_holds_data,
    recover_damaged,
    salvage_journal,
)
from cxr_desktop.i18n import N_, _, ngettext

log = logging.getLogger("cxr_desktop.core.storage")

#: How long a history whose journal is missing is retried while another process holds it (that
#: process may be opening it, or putting its journal back).
JOURNAL_WAIT_S = 3.0

RESTORE_HOW = N_("Restore it with \u201cRestore from backup\u2026\u201d in the History menu, or "
                 "with the command cxr-desktop history restore.")
MISSING_JOURNAL = N_("The reading history file is missing or empty, but its journal still held "
                     "readings. No new, empty history was made over them.")
MISSING_BACKUPS = N_("The reading history file is missing or empty, and there are backups of it. "
                     "No new, empty history was made.")
MISSING_IN_USE = N_("The reading history file is missing or empty while another CXR Desktop "
                    "window is still using it. Close every CXR Desktop window, then start CXR "
                    "Desktop again.")
JOURNAL_GONE = N_("The journal files of the reading history were deleted while another CXR "
                  "Desktop window or program was using it, so it was not opened: that would hide "
                  "the readings they hold. Close every CXR Desktop window, then start CXR Desktop "
                  "again.")
DAMAGED_IN_USE = N_("The reading history is damaged, so it is not used. Close every CXR Desktop "
                    "window and start CXR Desktop again to repair it.")
DAMAGED_READ_ONLY = N_("The reading history is damaged, so it is not used. It cannot be repaired "
                       "because its folder is read-only.")
RESTORE_PRESENT = N_("The reading history file is back in its place, so the backup was not "
                     "copied over it. Open the history and restore the backup from there.")
DAMAGED_NOT_REPAIRED = N_("The reading history is damaged, so it is not used, and it could not be "
                          "repaired: {reason}")


def whole_sentences(*sentences: str) -> str:
    """Translated sentences, each whole, one after the other."""
    return " ".join(sentences)


def main_state(path: Path) -> str:
    """'missing', 'empty' or 'present' (raises StorageError when it cannot be looked at)."""
    try:
        return "empty" if path.stat().st_size == 0 else "present"
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        raise storage_error(exc, "open", path) from exc


@contextmanager
def open_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``<history>.lock`` (never on the database itself), so that two
    processes do not repair or set aside the same history at once."""
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def check_before_connect(path: Path, folder: Path, *, new_if_missing: bool = False) -> list[StorageError]:
    """Run the checks above; returns the notices for the person (a repaired file) and raises a
    StorageError when the history must not be opened."""
    state = main_state(path)
    deadline = time.monotonic() + JOURNAL_WAIT_S
    while state == "empty" and journal.held_by_another_process(path) and time.monotonic() < deadline:
        time.sleep(0.05)  # another process is creating it
        state = main_state(path)
    if state != "present":
        _refuse_if_lost(path, folder, new_if_missing)
        return []
    _refuse_if_journal_deleted(path)
    result = check_file(path)
    if result.ok is not False:
        if result.ok is None:
            log.info("history: quick check unfinished after %.2f s (left to the background check)",
                     result.seconds)
        return []
    notice = repair(path, folder, result.problems)
    return [notice] if notice is not None else []


def check_file(path: Path) -> CheckResult:
    """Version and ``check_at_open`` through a read-only connection. Raises NewerDatabaseError
    for a newer history and StorageError for what is not damage (a disk error)."""
    try:
        conn = open_for_check(path)
    except sqlite3.Error as exc:
        raise storage_error(exc, "open", path) from exc
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > schema.SCHEMA_VERSION:
            raise newer_database(path, version)
        return check_at_open(conn)
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return CheckResult(False, (str(exc),), 0.0, "open")
        raise storage_error(exc, "open", path) from exc
    finally:
        conn.close()


def repair(path: Path, folder: Path, problems: tuple[str, ...]) -> DamagedHistoryError | None:
    """Set the damaged history aside and put what can be saved in its place; returns the notice
    (None when another process repaired it meanwhile). Raises DamagedHistoryError when it may
    not be repaired now."""
    with open_lock(path):
        if main_state(path) == "present":
            again = check_file(path)
            if again.ok is not False:
                return None  # repaired by another process while we waited for the lock
        if journal.open_here(path) or journal.held_by_another_process(path):
            raise DamagedHistoryError(_(DAMAGED_IN_USE), detail=f"{path}: {'; '.join(problems)}")
        if not os.access(path.parent, os.W_OK):
            raise DamagedHistoryError(_(DAMAGED_READ_ONLY), detail=f"{path}: {'; '.join(problems)}")
        try:
            return recover_damaged(path, folder, problems)
        except (OSError, sqlite3.Error) as exc:
            reason = storage_error(exc, "open", path).message
            raise DamagedHistoryError(_(DAMAGED_NOT_REPAIRED).format(reason=reason),
                                      detail=f"{path}: {exc}") from exc


def _refuse_if_lost(path: Path, folder: Path, new_if_missing: bool) -> None:
    """Raise HistoryMissingError rather than make a new history over a lost one."""
    if journal_holds_data(path):
        wal = journal.sidecar(path, journal.WAL_SUFFIX)
        shm = journal.sidecar(path, journal.SHM_SUFFIX)
        if journal.held_by_another_process(shm) or journal.held_by_another_process(wal):
            raise HistoryMissingError(_(MISSING_IN_USE), detail=f"{path}: journal in use")
        with open_lock(path):
            if main_state(path) == "present":
                return  # restored by another process meanwhile
            saved = salvage_journal(path, folder) if journal_holds_data(path) else None
        if not new_if_missing:
            count = saved.readings if saved is not None else 0
            found = ngettext("A backup holding {count} reading was made from it and from the "
                             "newest backup.",
                             "A backup holding {count} readings was made from it and from the "
                             "newest backup.", count).format(count=count)
            raise HistoryMissingError(whole_sentences(_(MISSING_JOURNAL), found, _(RESTORE_HOW)),
                                      detail=f"{path}: {path.name}-wal set aside")
    default = backups.default_folder(path)
    if not new_if_missing and (backups.list_backups(folder) or backups.list_backups(default)):
        raise HistoryMissingError(whole_sentences(_(MISSING_BACKUPS), _(RESTORE_HOW)),
                                  detail=f"{path}: missing or empty; backups in {folder}")


def _refuse_if_journal_deleted(path: Path) -> None:
    deadline = time.monotonic() + JOURNAL_WAIT_S
    while True:
        ids = journal.FileIds.of(path)
        if ids.wal is not None and ids.shm is not None:
            return
        in_process = [h for h in journal.open_here(path) if h.journal_changed()]
        if not in_process and not journal.held_by_another_process(path):
            return
        if time.monotonic() > deadline:
            raise JournalVanishedError(_(JOURNAL_GONE), detail=f"{path}: journal missing, in use")
        time.sleep(0.1)



def restore_lost(path: Path, backup: BackupInfo | Path, folder: Path) -> None:
    """Put ``backup`` in the place of a missing or empty history file (what ``HistoryMissingError``
    asks the person to do). A journal left beside it is set aside and salvaged first."""
    info = backups.verified_source(backup)
    with open_lock(path):
        if main_state(path) == "present":
            raise HistoryMissingError(_(RESTORE_PRESENT), detail=f"{path}: present")
        if journal.held_by_another_process(journal.sidecar(path, journal.SHM_SUFFIX)):
            raise HistoryMissingError(_(MISSING_IN_USE), detail=f"{path}: journal in use")
        if journal_holds_data(path):
            salvage_journal(path, folder)
        for suffix in (journal.WAL_SUFFIX, journal.SHM_SUFFIX):
            journal.sidecar(path, suffix).unlink(missing_ok=True)  # empty or salvaged above
        if main_state(path) == "empty":
            path.unlink()
        backups.restore_file(info, path)
