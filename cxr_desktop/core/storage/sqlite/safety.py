"""The open history's safeguards (issue 14), called by thin methods at the end of SqliteHistory.

* ``before_write`` (under the write lock, before every write): refuses to write to a history
  found damaged, and compares the (device, inode) of the main file, ``-wal`` and ``-shm`` with
  what they were when the connections were opened. On a change, ``rescue_journal``:
    1. a copy of everything this connection still sees (through the deleted journal) is saved as
       a backup ("rescued"), so nothing confirmed can be lost from here on;
    2. when nobody has opened the history since (no new journal files at its path), the journal
       this process holds is checkpointed into the main file and the connections are opened
       again: the history is whole again and the write goes ahead; the person is told;
    3. otherwise (another program made new journal files, or the main file went) writing stops
       for this session with a message naming the rescued copy.
* ``verify``: ``PRAGMA integrity_check`` on a connection of its own, off the GUI thread. A
  damaged file is repaired at once when this is its only user; otherwise writing stops until the
  next start.
* ``make_backup`` / ``restore``: through ``backup``; the file is set aside (as a backup) before a
  restore, and the restore is one write transaction into the open history.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.storage.safeguards import (
    BEFORE_RESTORE,
    RESCUED,
    BackupError,
    BackupInfo,
    DamagedHistoryError,
    JournalVanishedError,
)
from cxr_desktop.core.storage.sqlite import backup as backups
from cxr_desktop.core.storage.sqlite import journal, opening, schema
from cxr_desktop.core.storage.sqlite.connection import connect, connect_read_only
from cxr_desktop.core.storage.sqlite.integrity import full_check, open_for_check
from cxr_desktop.i18n import N_, _

if TYPE_CHECKING:
    from cxr_desktop.core.storage.sqlite.history import SqliteHistory

log = logging.getLogger("cxr_desktop.core.storage")
#: How long a process that finds its journal deleted waits for another one to put it back.
PUT_BACK_WAIT_S = 5.0
TOLD = {"file_only": True}  # the person is told in a message: the log file only

JOURNAL_PUT_BACK = N_("The journal files of the reading history were deleted by another program "
                      "while CXR Desktop was using it. CXR Desktop put every reading back into the "
                      "history file, so none was lost; a copy was also saved as the backup "
                      "{file}.")
JOURNAL_SPLIT = N_("The journal files of the reading history were deleted while CXR Desktop was "
                   "using it, and another program has opened the history since. To lose no "
                   "reading, nothing more is saved until CXR Desktop is started again. The "
                   "readings this window could see were saved as the backup {file}; close every "
                   "CXR Desktop window, then restore that backup.")
JOURNAL_SPLIT_NO_COPY = N_("The journal files of the reading history were deleted while CXR "
                           "Desktop was using it, and another program has opened the history "
                           "since. To lose no reading, nothing more is saved until CXR Desktop is "
                           "started again. Close every CXR Desktop window without deleting "
                           "anything, then start CXR Desktop again.")
DAMAGED_WHILE_OPEN = N_("The reading history is damaged, so nothing more is saved into it. Close "
                        "every CXR Desktop window and start CXR Desktop again: it will set the "
                        "damaged file aside and save what can be read into a new history.")
RESTORE_RACE = N_("While the backup was being restored, another window saved a reading. That "
                  "reading may be missing from the restored history.")


def notify(h: SqliteHistory, notice: StorageError) -> None:
    """Keep ``notice`` for the person (``notices()`` hands it out once)."""
    with h._notice_lock:
        h._notices.append(notice)


def _alone(h: SqliteHistory) -> bool:
    """No other connection of this process on the file (another history, an export running)."""
    return all(other is h for other in journal.open_here(h.path)) and h._extra_connections == 0


def reconnect(h: SqliteHistory) -> None:
    """Close both connections and open them again (caller holds both locks)."""
    for conn in {id(c): c for c in (h._reader, h._conn) if c is not None}.values():
        conn.close()
    h._conn = h._reader = None
    journal.unregister(h._ids.main, h)
    h._conn = connect(h.path)
    h._reader = connect(h.path)
    h._ids = journal.FileIds.of(h.path)
    journal.register(h._ids.main, h)
    h._indexed = schema.has_fts(h._reader)


def before_write(h: SqliteHistory) -> None:
    """Called under the write lock before every write."""
    if h._stopped is not None:
        raise h._stopped
    change = h._ids.change(journal.FileIds.of(h.path))
    if change is not None:
        rescue_journal(h, change)


def rescue_journal(h: SqliteHistory, change: str) -> None:
    """See the module's docstring. Returns when the history is whole again; raises otherwise."""
    log.error("history: journal changed while open (%s); rescuing", change, extra=TOLD)
    with h._read_lock:
        rescued = _rescue_copy(h)
        deadline = time.monotonic() + PUT_BACK_WAIT_S
        while True:
            outcome = _put_back(h)
            if outcome is not None:
                if outcome:
                    name = rescued.path.name if rescued is not None else "\u2014"
                    notify(h, JournalVanishedError(_(JOURNAL_PUT_BACK).format(file=name),
                                                   detail=change))
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)  # another process of the same history may be putting it back
        message = (_(JOURNAL_SPLIT).format(file=rescued.path.name) if rescued is not None
                   else _(JOURNAL_SPLIT_NO_COPY))
        h._stopped = JournalVanishedError(message, detail=change)
        notify(h, h._stopped)
        _abandon(h)
        raise h._stopped


def _put_back(h: SqliteHistory) -> bool | None:
    """One try: True when this process checkpointed the journal it holds into the main file and
    opened the history again, False when another process had done so (the journal this process
    holds is empty) and it opened the history again, None when neither can be done now."""
    if not _alone(h):
        return None
    now = journal.FileIds.of(h.path)
    if now.main != h._ids.main:
        return None
    if now.wal is None and now.shm is None:  # nobody has opened it since
        busy = h._require().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if int(busy) == 0:
            reconnect(h)
            log.info("history: journal put back into the main file")
            return True
        return None
    sizes = journal.deleted_journal_sizes(h.path)
    if sizes and not any(sizes):
        reconnect(h)
        log.info("history: journal put back by another process; reconnected")
        return False
    return None


def _abandon(h: SqliteHistory) -> None:
    """Writing stopped on two diverged journals: the connections of this process must never
    checkpoint into the main file, nor delete the journal at its path (another process's, with
    readings only it holds) when they close. SQLite does both when the last connection closes,
    unless told not to (``SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE``, Python 3.12+); before that, the
    connections are kept open until the process ends, as a crash would leave them."""
    for conn in {id(c): c for c in (h._reader, h._conn) if c is not None}.values():
        setconfig = getattr(conn, "setconfig", None)
        flag = getattr(sqlite3, "SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE", None)
        if setconfig is not None and flag is not None:
            setconfig(flag, True)
        else:
            h._abandoned.append(conn)
            _KEPT_OPEN.append(conn)
            try:  # one reference more than anything holds: never deallocated, never closed
                import ctypes

                ctypes.pythonapi.Py_IncRef(ctypes.py_object(conn))
            except (ImportError, AttributeError, OSError):
                log.warning("history: could not keep a connection open until the end")


_KEPT_OPEN: list[sqlite3.Connection] = []


def folders(h: SqliteHistory) -> list[Path]:
    """The backup folder, then (when another was chosen) the one beside the history."""
    default = backups.default_folder(h.path)
    return [h.backup_folder] + ([default] if default != h.backup_folder else [])


def _rescue_copy(h: SqliteHistory) -> BackupInfo | None:
    for folder in folders(h):
        try:  # through the write connection: it still sees the deleted journal
            return backups.take_backup(h._require(), folder, RESCUED, h.path,
                                       stepped=False, rotate_after=False)
        except BackupError:
            log.error("history: the rescue copy failed", exc_info=True)
    return None


def journal_changed(h: SqliteHistory) -> bool:
    return h._ids.change(journal.FileIds.of(h.path)) is not None


def check_journal(h: SqliteHistory) -> None:
    """The journal check without a write (the window calls it now and then); skipped when a
    write is under way (it checks for itself)."""
    if h._read_only or not h._write_lock.acquire(blocking=False):
        return
    try:
        if h._stopped is None and h._conn is not None:
            change = h._ids.change(journal.FileIds.of(h.path))
            if change is not None:
                try:
                    rescue_journal(h, change)
                except StorageError:
                    pass  # kept as a notice and raised by the next write
    finally:
        h._write_lock.release()


def take_notices(h: SqliteHistory) -> list[StorageError]:
    check_journal(h)
    with h._notice_lock:
        found, h._notices[:] = list(h._notices), []
    return found


def verify(h: SqliteHistory) -> list[StorageError]:
    """The full integrity check (slow: call it off the GUI thread); the problems found."""
    result = full_check(h.path)
    if result.ok is not False:
        return []
    log.error("history: integrity_check failed: %s", "; ".join(result.problems)[:300],
              extra=TOLD)
    with h._write_lock, h._read_lock:
        if _alone(h) and not h._read_only:
            for conn in {id(c): c for c in (h._reader, h._conn) if c is not None}.values():
                conn.close()
            h._conn = h._reader = None
            journal.unregister(h._ids.main, h)
            try:
                notice = opening.repair(h.path, h.backup_folder, result.problems)
            except DamagedHistoryError as exc:
                notice = h._stopped = exc  # not repaired (in use elsewhere): nothing is written
            finally:
                reconnect(h)
            if notice is not None:
                notify(h, notice)
            return [notice] if notice is not None else []
        h._stopped = DamagedHistoryError(_(DAMAGED_WHILE_OPEN), detail="; ".join(result.problems))
        notify(h, h._stopped)
        return [h._stopped]


def make_backup(h: SqliteHistory, folder: Path | None, reason: str,
                stepped: bool = True) -> BackupInfo:
    """A verified copy of one snapshot, in steps (``stepped``), on a connection of its own (no
    lock held)."""
    target = Path(folder) if folder is not None else h.backup_folder
    source = open_extra(h)
    try:
        return backups.take_backup(source, target, reason, h.path, stepped=stepped)
    except BackupError:
        problems = verify(h)
        if not problems:  # a bad copy of a good history: the backup folder's disk
            raise
        raise problems[0] from None
    finally:
        close_extra(h, source)


def open_extra(h: SqliteHistory, read_only: bool = True) -> sqlite3.Connection:
    """One more connection to the history (a snapshot for an export or a backup), counted so
    that the connections are never reopened while it is open."""
    h._require()
    with h._notice_lock:
        h._extra_connections += 1
    try:
        if h._read_only:
            return connect_read_only(h.path)
        return open_for_check(h.path) if read_only else connect(h.path)
    except BaseException:
        with h._notice_lock:
            h._extra_connections -= 1
        raise


def close_extra(h: SqliteHistory, conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    finally:
        with h._notice_lock:
            h._extra_connections -= 1


def after_restore(h: SqliteHistory) -> None:
    h._migrate()
    with h._read_lock:
        h._indexed = schema.has_fts(h._require(reader=True))


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def restore(h: SqliteHistory, backup: BackupInfo | Path | str) -> BackupInfo:
    """Set the current history aside as a backup, then copy ``backup`` into it. Returns the
    copy of the history as it was."""
    info = backups.verified_source(backup if isinstance(backup, BackupInfo) else Path(backup))
    for _attempt in range(3):
        with h._write_lock:  # data_version counts other connections' commits, per connection
            before = _data_version(h._require())
        aside = make_backup(h, None, BEFORE_RESTORE)
        with h._write_lock:
            before_write(h)
            conn = h._require()
            if _data_version(conn) != before:
                continue  # saved into meanwhile: take the copy again
            backups.restore_into(conn, info)
            if _data_version(conn) != before:
                notify(h, StorageError(_(RESTORE_RACE)))
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                log.info("history: checkpoint after restore deferred", exc_info=True)
        after_restore(h)
        log.info("history restored from a backup (%d readings)", info.readings)
        return aside
    raise BackupError(_(backups.NOT_RESTORED), detail="the history kept changing")

