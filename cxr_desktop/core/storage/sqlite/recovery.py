"""What happens to a damaged or lost history file. Nothing here writes to a damaged file.

* ``recover_damaged``: the damaged file (with its ``-wal``) is renamed aside with a timestamp
  (``history.sqlite3.damaged-YYYYmmdd-HHMMSS``), which needs no copy of a 5 GB file and keeps its
  bytes as they were; what can be read of it (``salvage``), completed from the newest backup, is
  built into a new file beside it, checked, and renamed into the history's place. The caller holds
  the open lock and has made sure no connection of any process is open on it.
* ``salvage_journal``: a history whose main file is missing or empty but whose ``-wal`` is not:
  SQLite would delete that journal on opening the empty file. The journal is renamed aside, and
  what it holds is read through SQLite (a copy of it beside a blank main file, in a scratch
  folder; over a copy of the newest backup when there is one, since the journal holds only the
  pages written since the last checkpoint), together with every reading of the newest backup
  that the journal lacks, and saved
  as a backup of its own ("recovered"), for the person to restore.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import struct
from datetime import datetime, timezone
from pathlib import Path

from cxr_desktop.core.storage.safeguards import (
    RECOVERED,
    BackupInfo,
    DamagedHistoryError,
)
from cxr_desktop.core.storage.sqlite import backup as backups
from cxr_desktop.core.storage.sqlite.integrity import open_for_check
from cxr_desktop.core.storage.sqlite.journal import SHM_SUFFIX, WAL_SUFFIX, sidecar
from cxr_desktop.core.storage.sqlite.salvage import Salvage, salvage_into
from cxr_desktop.i18n import N_, _, format_datetime, ngettext
from cxr_desktop.private_files import make_private_dir

log = logging.getLogger("cxr_desktop.core.storage")
TOLD = {"file_only": True}  # the person is told in a message: the log file only

WAL_HEADER = 32
WAL_FRAME_HEADER = 24

DAMAGED_SET_ASIDE = N_("The reading history was damaged, so CXR Desktop set it aside and saved "
                       "what could be read into a new history.")
DAMAGED_NOTHING = N_("The reading history was damaged and nothing could be read from it, so CXR "
                     "Desktop set it aside and started a new, empty history.")
DAMAGED_KEPT_AS = N_("The damaged file was kept as {file}.")


def stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")


def set_aside(path: Path, label: str) -> Path:
    """Rename the history and its journal files to ``<name>.<label>`` (the ``-shm`` file, which
    SQLite rebuilds, is deleted). Returns the new name of the main file."""
    target = path.with_name(f"{path.name}.{label}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.{label}-{n}")
        n += 1
    os.replace(path, target)
    for suffix in (WAL_SUFFIX, "-journal"):
        if sidecar(path, suffix).exists():
            os.replace(sidecar(path, suffix), sidecar(target, suffix))
    sidecar(path, SHM_SUFFIX).unlink(missing_ok=True)
    return target


def newest_backup(folder: Path) -> BackupInfo | None:
    for info in backups.list_backups(folder):
        if info.reason != RECOVERED:
            return info
    return None


def _open_source(path: Path) -> sqlite3.Connection | None:
    try:
        conn = open_for_check(path)
        conn.execute("SELECT 1").fetchone()
        return conn
    except sqlite3.Error:
        return None


def _build(source: sqlite3.Connection | None, target: Path, backup: BackupInfo | None,
           union: bool = False, extra: tuple[sqlite3.Connection, ...] = ()) -> Salvage:
    backup_conn = None
    if backup is not None:
        try:
            backup_conn = backups.open_copy(backup.path)
        except sqlite3.Error:
            backup_conn = None
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        return salvage_into(source, target, backup_conn, union=union, extra=extra)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        if backup_conn is not None:
            backup_conn.close()


def recover_damaged(path: Path, folder: Path, problems: tuple[str, ...]) -> DamagedHistoryError:
    """Set the damaged history aside and put a new one, with what could be saved, in its place.
    Returns the notice for the person (it is not raised: the new history is usable)."""
    aside = set_aside(path, f"damaged-{stamp()}")
    log.error("history damaged (%s); set aside, salvaging", "; ".join(problems)[:300],
              extra=TOLD)
    source = _open_source(aside)
    backup = newest_backup(folder)
    partial = path.with_name(f".{path.name}.recovering")
    try:
        report = _build(source, partial, backup)
        os.replace(partial, path)
    except BaseException:
        _put_back(aside, path)  # the damaged file stays where it was (unused), never lost
        raise
    finally:
        if source is not None:
            source.close()
        sidecar(aside, SHM_SUFFIX).unlink(missing_ok=True)
    return damaged_notice(aside, report, backup, problems)


def _put_back(aside: Path, path: Path) -> None:
    try:
        if not path.exists():
            os.replace(aside, path)
            if sidecar(aside, WAL_SUFFIX).exists():
                os.replace(sidecar(aside, WAL_SUFFIX), sidecar(path, WAL_SUFFIX))
    except OSError:
        log.error("the damaged history could not be put back in its place", exc_info=True)


def damaged_notice(aside: Path, report: Salvage, backup: BackupInfo | None,
                   problems: tuple[str, ...]) -> DamagedHistoryError:
    parts = [_(DAMAGED_SET_ASIDE) if report.source_readable or report.readings else _(DAMAGED_NOTHING)]
    parts.append(ngettext("The new history holds {count} reading.",
                          "The new history holds {count} readings.",
                          report.readings).format(count=report.readings))
    taken = report.from_backup.get("readings", 0)
    if backup is not None and (taken or not report.source_readable):
        when = format_datetime(backup.taken_utc, "short")
        parts.append(ngettext("{count} of them came from the backup of {date}.",
                              "{count} of them came from the backup of {date}.",
                              taken or report.readings).format(count=taken or report.readings,
                                                               date=when))
    if report.readings_lost:
        parts.append(ngettext("{count} reading could not be read and is not in the new history.",
                              "{count} readings could not be read and are not in the new history.",
                              report.readings_lost).format(count=report.readings_lost))
    images = report.partial.get("reading_images", 0) + report.without_images
    if images:
        parts.append(ngettext("The images of {count} reading could not be read.",
                              "The images of {count} readings could not be read.",
                              images).format(count=images))
    parts.append(_(DAMAGED_KEPT_AS).format(file=aside.name))
    return DamagedHistoryError(" ".join(parts), detail=f"{aside}: {'; '.join(problems)[:500]}",
                               set_aside=aside, saved=report.readings, lost=report.readings_lost)


def journal_holds_data(path: Path) -> bool:
    wal = sidecar(path, WAL_SUFFIX)
    try:
        return wal.stat().st_size >= WAL_HEADER + WAL_FRAME_HEADER
    except OSError:
        return False


def salvage_journal(path: Path, folder: Path) -> BackupInfo | None:
    """The readings in the ``-wal`` of a missing or empty history, saved as a backup (None when
    it holds none). The journal is renamed aside first (``<name>.orphan-<stamp>-wal``)."""
    wal = sidecar(path, WAL_SUFFIX)
    label = f"orphan-{stamp()}"
    kept = path.with_name(f"{path.name}.{label}{WAL_SUFFIX}")
    os.replace(wal, kept)
    sidecar(path, SHM_SUFFIX).unlink(missing_ok=True)
    log.error("history file missing or empty beside a journal: journal set aside, salvaging",
              extra=TOLD)
    scratch = make_private_dir(path.with_name(f".{path.name}.{label}.scratch"))
    newest = newest_backup(folder) or newest_backup(backups.default_folder(path))
    try:
        with open(kept, "rb") as handle:  # the journal, not the database: no lock is involved
            header = handle.read(WAL_HEADER)
        page_size = struct.unpack(">I", header[8:12])[0] if len(header) == WAL_HEADER else 0
        if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
            return None
        blank = scratch / "blank" / "journal.sqlite3"  # the journal over blank pages
        over = scratch / "over" / "journal.sqlite3"  # and over the newest backup's pages
        for base in (blank, over) if newest is not None else (blank,):
            make_private_dir(base.parent)
            if base is over and newest is not None:
                shutil.copyfile(newest.path, base)
            else:
                base.write_bytes(bytes(page_size))
            shutil.copyfile(kept, sidecar(base, WAL_SUFFIX))
        sources = [c for c in (_open_source(blank), _open_source(over) if newest else None) if c]
        if not sources:
            return None
        try:
            target = _usable_folder(folder, backups.default_folder(path))
            built = target / f".recovered-{label}.partial"
            report = _build(sources[0], built, newest, union=True, extra=tuple(sources[1:]))
        finally:
            for conn in sources:
                conn.close()
        if not report.source_readable and not report.readings:
            built.unlink(missing_ok=True)
            return None
        return backups.adopt(built, target, RECOVERED, path)
    except (OSError, sqlite3.Error):
        log.warning("salvaging the journal failed", exc_info=True)
        return None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _usable_folder(*folders: Path) -> Path:
    """The first of ``folders`` that is there or can be made (one level; a chosen folder on a
    drive that is not plugged in is skipped for the one beside the history)."""
    error: OSError | None = None
    for folder in folders:
        try:
            if not folder.is_dir():
                folder.mkdir(mode=0o700)
            return folder
        except OSError as exc:
            error = exc
    raise error or OSError("no folder")
