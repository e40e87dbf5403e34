"""Backups of the history: online copies through SQLite's backup API, verified, rotated.

* ``take_backup``: a page-for-page copy of one consistent snapshot (a read transaction held for
  the whole copy, so writes by this or another process neither wait for it nor restart it), in
  steps of ``STEP_PAGES`` with a pause between them so that saves still get the disk. The copy is
  written to a hidden ``.partial`` file (0600), switched to a rollback journal (one
  self-contained file, fit for a USB drive), checked with ``PRAGMA integrity_check`` and its row
  counts compared with the snapshot's, and only then renamed to
  ``history-YYYYmmdd-HHMMSS-<reason>.sqlite3`` beside a JSON manifest (date, reason, counts).
* ``rotate``: 7 daily and 4 weekly copies are kept, the last 3 made by hand, before a migration
  and before a restore, and every copy of rescued or recovered readings.
* ``restore_into``: a verified backup copied into the open history through the backup API: one
  write transaction, seen at once by every connection of every process (the file is not replaced
  under them).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from cxr_desktop import __version__
from cxr_desktop.core.storage.safeguards import (
    BEFORE_MIGRATION,
    BEFORE_RESTORE,
    DAILY,
    MANUAL,
    BackupError,
    BackupInfo,
)
from cxr_desktop.core.storage.sqlite import schema
from cxr_desktop.core.storage.sqlite.errors import reason_for
from cxr_desktop.core.storage.sqlite.integrity import run_check, table_counts
from cxr_desktop.core.storage.times import utc_now_iso
from cxr_desktop.i18n import N_, _
from cxr_desktop.private_files import write_private

log = logging.getLogger("cxr_desktop.core.storage")
TOLD = {"file_only": True}  # the person is told in a message: the log file only

STEP_PAGES = 2048  # 8 MiB of 4 KiB pages per step
PAUSE_S = 0.02
KEEP_DAILY = 7
KEEP_WEEKLY = 4
KEEP_SPECIAL = 3  # before-migration and before-restore copies each
FOLDER_NAME = "backups"
MANIFEST_SUFFIX = ".json"
ROTATED = (DAILY, MANUAL, BEFORE_MIGRATION, BEFORE_RESTORE)
_NAME = re.compile(r"^history-(\d{8}-\d{6})(?:-\d+)?-([a-z-]+)\.sqlite3$")

NOT_MADE = N_("The backup of the reading history could not be made.")
BAD_COPY = N_("The copy did not pass its check and was deleted. The disk of the backup folder may "
              "be failing: try again, or choose another folder.")
NOT_RESTORED = N_("The reading history was not restored from the backup.")
BAD_BACKUP = N_("The backup is damaged or is not a CXR Desktop history. Choose another one.")
NEWER_BACKUP = N_("The backup was made by a newer version of CXR Desktop. Install the newer "
                  "version to restore it.")


def default_folder(history: Path) -> Path:
    """Where backups go unless the person chose a folder: beside the history."""
    return history.parent / FOLDER_NAME


def _two(first: str, second: str) -> str:
    return f"{_(first)} {_(second)}"


def _new_private_file(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def copy_database(source: sqlite3.Connection, target: Path, *, stepped: bool = True,
                  on_step: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Copy what ``source`` sees into the new file ``target``; returns the row counts of the
    same snapshot. ``source`` must not be in a write transaction."""
    own = not source.in_transaction
    if own:
        source.execute("BEGIN")
    try:
        counts = table_counts(source)  # inside the read transaction: the pages copied below

        def step(_status: int, remaining: int, total: int) -> None:
            if on_step is not None:
                on_step(total - remaining, total)
            time.sleep(PAUSE_S)

        _new_private_file(target)
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            if stepped:
                source.backup(dst, pages=STEP_PAGES, progress=step)
            else:
                source.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        if own and source.in_transaction:
            source.execute("COMMIT")
    return counts


def open_copy(path: Path) -> sqlite3.Connection:
    """A backup, read-only and ``immutable`` (nothing is created beside it: a USB drive)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                           isolation_level=None, check_same_thread=False)


def inspect_copy(path: Path, expected: dict[str, int] | None = None) -> tuple[list[str], int, dict[str, int]]:
    """(problems, schema version, row counts) of a copy: integrity_check and, with ``expected``,
    the row counts compared."""
    try:
        conn = open_copy(path)
    except sqlite3.Error as exc:
        return [str(exc)], 0, {}
    try:
        result = run_check(conn, "PRAGMA integrity_check", None, "integrity")
        if result.ok is not True:
            return list(result.problems), 0, {}
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        counts = table_counts(conn)
    except sqlite3.DatabaseError as exc:
        return [str(exc)], 0, {}
    finally:
        conn.close()
    problems = []
    if expected is not None and counts != expected:
        problems.append(f"row counts {counts} != {expected}")
    return problems, version, counts


def _final_name(folder: Path, when: datetime, reason: str) -> Path:
    stamp = when.strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"history-{stamp}-{reason}.sqlite3"
    n = 2
    while candidate.exists():
        candidate = folder / f"history-{stamp}-{n}-{reason}.sqlite3"
        n += 1
    return candidate


def take_backup(source: sqlite3.Connection, folder: Path, reason: str, history: Path, *,
                stepped: bool = True, on_step: Callable[[int, int], None] | None = None,
                rotate_after: bool = True) -> BackupInfo:
    """A verified copy of what ``source`` sees, in ``folder``. Raises BackupError."""
    when = datetime.now(timezone.utc)
    try:
        if not folder.is_dir():  # one level only: never a folder tree under a missing drive
            folder.mkdir(mode=0o700)
        final = _final_name(folder, when, reason)
    except OSError as exc:
        raise BackupError(_two(NOT_MADE, reason_for(exc)), detail=f"{folder}: {exc}") from exc
    partial = folder / f".{final.name}.{os.getpid()}-{threading.get_ident()}.partial"
    try:
        partial.unlink(missing_ok=True)
        counts = copy_database(source, partial, stepped=stepped, on_step=on_step)
    except (OSError, sqlite3.Error) as exc:
        _remove(partial)
        log.warning("backup failed: %s (errno %s)", type(exc).__name__, getattr(exc, "errno", None),
                    extra=TOLD)
        raise BackupError(_two(NOT_MADE, reason_for(exc)), detail=f"{folder}: {exc}") from exc
    info = _finish(partial, counts, final, reason, history, when)
    if rotate_after:
        rotate(folder)
    return info


def _finish(partial: Path, counts: dict[str, int] | None, final: Path, reason: str,
            history: Path, when: datetime) -> BackupInfo:
    """Check the copy ``partial`` (integrity_check; row counts when ``counts`` is given), then
    rename it to ``final`` beside its manifest. Raises BackupError (the copy is deleted)."""
    problems, version, found = inspect_copy(partial, counts)
    if problems:
        _remove(partial)
        log.error("backup copy failed its check: %s", "; ".join(problems)[:300], extra=TOLD)
        raise BackupError(_two(NOT_MADE, BAD_COPY), detail="; ".join(problems))
    try:
        final = _claim(partial, final, when, reason)
        info = BackupInfo(final, utc_now_iso(when), found.get("readings", 0), reason, version,
                          final.stat().st_size, found)
        write_manifest(info, history)
    except OSError as exc:
        _remove(partial)
        raise BackupError(_two(NOT_MADE, reason_for(exc)), detail=f"{final}: {exc}") from exc
    log.info("backup made (%s, %d readings)", reason, info.readings)
    return info


def _claim(partial: Path, final: Path, when: datetime, reason: str) -> Path:
    """Rename ``partial`` to ``final``, or to the next free name: never over another process's
    backup of the same second (a hard link fails when the name is taken)."""
    candidate = final
    for _attempt in range(100):
        try:
            os.link(partial, candidate)
        except FileExistsError:
            candidate = _final_name(final.parent, when, reason)
            continue
        except OSError:  # no hard links here (a FAT USB drive)
            if candidate.exists():
                candidate = _final_name(final.parent, when, reason)
                continue
            os.replace(partial, candidate)
            return candidate
        partial.unlink()
        return candidate
    raise FileExistsError(final)


def adopt(built: Path, folder: Path, reason: str, history: Path) -> BackupInfo:
    """A history file built elsewhere (readings recovered from a journal) checked and kept in
    ``folder`` as a backup."""
    when = datetime.now(timezone.utc)
    return _finish(built, None, _final_name(folder, when, reason), reason, history, when)


def write_manifest(info: BackupInfo, history: Path) -> None:
    data = {"taken_utc": info.taken_utc, "reason": info.reason, "readings": info.readings,
            "table_rows": info.table_rows, "schema_version": info.schema_version,
            "size_bytes": info.size_bytes, "history": str(history), "app_version": __version__,
            "integrity_check": "ok"}
    write_private(manifest_path(info.path), json.dumps(data, indent=1))


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def _remove(path: Path | None) -> None:
    if path is None:
        return
    for item in (path, manifest_path(path)):
        try:
            item.unlink(missing_ok=True)
        except OSError:
            log.warning("backup: a file could not be removed", exc_info=True)


def read_backup(path: Path) -> BackupInfo | None:
    """A backup's description from its manifest, or from the copy itself; None when unreadable."""
    match = _NAME.match(path.name)
    try:
        data = json.loads(manifest_path(path).read_text(encoding="utf-8"))
        return BackupInfo(path, str(data["taken_utc"]), int(data["readings"]), str(data["reason"]),
                          int(data["schema_version"]), path.stat().st_size,
                          {str(k): int(v) for k, v in dict(data.get("table_rows", {})).items()})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        conn = open_copy(path)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            counts = table_counts(conn)
        finally:
            conn.close()
        taken = (datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
                 if match else datetime.fromtimestamp(path.stat().st_mtime, timezone.utc))
    except (OSError, sqlite3.Error, ValueError):
        return None
    reason = match.group(2) if match else MANUAL
    return BackupInfo(path, utc_now_iso(taken), counts.get("readings", 0), reason, version,
                      path.stat().st_size, counts)


def list_backups(folder: Path) -> list[BackupInfo]:
    """Every readable backup in ``folder``, newest first."""
    try:
        names = sorted(p for p in folder.iterdir()
                       if _NAME.match(p.name) and p.is_file() and not p.is_symlink())
    except OSError:
        return []
    found = [info for info in (read_backup(p) for p in names) if info is not None]
    return sorted(found, key=lambda b: (b.taken_utc, b.path.name), reverse=True)


def rotate(folder: Path) -> list[Path]:
    """Delete copies beyond the rotation (see the module's docstring); returns what went."""
    keep: set[Path] = set()
    backups = list_backups(folder)
    regular = [b for b in backups if b.reason == DAILY]
    days: dict[str, Path] = {}
    for b in regular:  # newest first: the first of each day is that day's copy
        days.setdefault(b.taken_utc[:10], b.path)
    daily_kept = list(days.items())[:KEEP_DAILY]
    keep.update(p for _day, p in daily_kept)
    oldest_daily = daily_kept[-1][0] if daily_kept else "9999"
    weeks: dict[tuple[int, int], Path] = {}
    for b in regular:
        if b.taken_utc[:10] < oldest_daily:
            iso = datetime.fromisoformat(b.taken_utc).isocalendar()
            weeks.setdefault((iso[0], iso[1]), b.path)
    keep.update(list(weeks.values())[:KEEP_WEEKLY])
    for special in (MANUAL, BEFORE_MIGRATION, BEFORE_RESTORE):
        keep.update([b.path for b in backups if b.reason == special][:KEEP_SPECIAL])
    keep.update(b.path for b in backups if b.reason not in ROTATED)  # rescued readings stay
    gone = [b.path for b in backups if b.path not in keep]
    for path in gone:
        _remove(path)
    if gone:
        log.info("backups: %d old copies removed", len(gone))
    return gone


def verified_source(backup: BackupInfo | Path) -> BackupInfo:
    """The backup described and checked again (integrity_check, counts); raises BackupError."""
    path = backup.path if isinstance(backup, BackupInfo) else Path(backup)
    info = read_backup(path) if path.is_file() else None
    if info is None:
        raise BackupError(_two(NOT_RESTORED, BAD_BACKUP), detail=f"{path}: unreadable")
    expected = info.table_rows if manifest_path(path).is_file() and info.table_rows else None
    problems, version, _counts = inspect_copy(path, expected)
    if problems:
        raise BackupError(_two(NOT_RESTORED, BAD_BACKUP), detail=f"{path}: {'; '.join(problems)}")
    if version > schema.SCHEMA_VERSION:
        raise BackupError(_two(NOT_RESTORED, NEWER_BACKUP), detail=f"{path}: v{version}")
    return info


def restore_into(target: sqlite3.Connection, backup: BackupInfo) -> None:
    """Copy the (verified) backup into the open history ``target``: one write transaction."""
    source = open_copy(backup.path)
    try:
        source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(_two(NOT_RESTORED, reason_for(exc)), detail=f"{backup.path}: {exc}") from exc
    finally:
        source.close()


def restore_file(backup: BackupInfo, history: Path) -> None:
    """A new history file at ``history`` (which must be missing or empty, with no journal),
    made from the verified ``backup``: built beside it, then renamed into place."""
    partial = history.with_name(f".{history.name}.restoring")
    partial.unlink(missing_ok=True)
    try:
        _new_private_file(partial)
        source, target = open_copy(backup.path), sqlite3.connect(partial, isolation_level=None)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = WAL")
        finally:
            source.close()
            target.close()
        os.replace(partial, history)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(_two(NOT_RESTORED, reason_for(exc)), detail=f"{history}: {exc}") from exc
    log.info("history restored from a backup into a new file")


__all__ = ["BEFORE_MIGRATION", "BEFORE_RESTORE", "DAILY", "MANUAL", "default_folder",
           "list_backups", "restore_file", "restore_into", "rotate", "take_backup",
           "verified_source"]
