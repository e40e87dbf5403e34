"""Saving what can still be read from a damaged history into a new file, row by row.

Why row by row: Python's ``sqlite3`` has no ``.recover`` (it is part of the ``sqlite3`` command
line shell, which a Windows or frozen install does not have), and a row-by-row copy through SQLite
is what every install can do. For each ordinary table it reads rows in rowid order; where a
damaged page stops the scan it skips ahead (probing rowids with growing steps) and goes on, then
fetches one by one the rowids that the table's indexes still list, and, for a row whose large
columns (images) cannot be read, keeps the columns that can. A row that cannot be read at all is
taken from the newest backup when one holds it. Rows are copied with their ids, so a reading keeps
its number. Virtual tables (the text index) are rebuilt from the copied rows.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cxr_desktop.core.storage.sqlite import schema
from cxr_desktop.core.storage.sqlite.connection import add_functions
from cxr_desktop.core.storage.sqlite.integrity import run_check, user_tables

log = logging.getLogger("cxr_desktop.core.storage")

READINGS = "readings"
_LOWEST = -(2**63)
_HIGHEST = 2**63 - 1


@dataclass
class Salvage:
    """What the new file holds: rows per table; ``lost``: rowids known to have existed (listed by
    an index) whose row could be read neither from the damaged file nor from the backup."""

    rows: dict[str, int] = field(default_factory=dict)
    lost: dict[str, list[int]] = field(default_factory=dict)
    partial: dict[str, int] = field(default_factory=dict)  # rows with some columns unreadable
    from_backup: dict[str, int] = field(default_factory=dict)
    source_readable: bool = True
    without_images: int = 0  # readings kept whose images row could not be read at all

    @property
    def readings(self) -> int:
        return self.rows.get(READINGS, 0)

    @property
    def readings_lost(self) -> int:
        return len(self.lost.get(READINGS, []))


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f'SELECT rowid FROM "{table}" LIMIT 0').fetchall()
        return True
    except sqlite3.OperationalError:
        return False


def indexed_ids(conn: sqlite3.Connection, table: str) -> set[int]:
    """Rowids listed by the table's indexes (as many as can be read)."""
    ids: set[int] = set()
    try:
        indexes = [str(r[1]) for r in conn.execute(f'PRAGMA index_list("{table}")')]
    except sqlite3.DatabaseError:
        return ids
    for index in indexes:
        try:
            for (rowid,) in conn.execute(f'SELECT rowid FROM "{table}" INDEXED BY "{index}"'):
                ids.add(int(rowid))
        except sqlite3.DatabaseError:
            continue  # an unusable or damaged index: what it gave so far is kept
    try:
        top = conn.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
        if top is not None:
            ids.add(int(top))
    except sqlite3.DatabaseError:
        pass
    return ids


def _probe(conn: sqlite3.Connection, table: str, at: int) -> tuple[bool, int | None]:
    """(could seek, first rowid >= ``at`` or None)."""
    try:
        row = conn.execute(f'SELECT rowid FROM "{table}" WHERE rowid >= ? ORDER BY rowid LIMIT 1',
                           (at,)).fetchone()
        return True, None if row is None else int(row[0])
    except sqlite3.DatabaseError:
        return False, None


def _next_existing(conn: sqlite3.Connection, table: str, start: int) -> int | None:
    """The first rowid >= ``start`` whose key can be read. Past a damaged page it probes ahead
    with growing steps, then halves the gap back to the first key that can be reached, so that
    a readable run just after the damage is not jumped over."""
    ok, found = _probe(conn, table, start)
    if ok:
        return found
    if start < 0:  # nothing readable from the very start: the app's rowids are positive
        start = 0
    failed, step = start, 1
    while True:
        at = start + step
        if at > _HIGHEST:
            return None
        ok, found = _probe(conn, table, at)
        if ok:
            break
        failed, step = at, step * 2
    low, high = failed, at  # seeking ``low`` fails, ``high`` works
    while high - low > 1:
        middle = (low + high) // 2
        ok, maybe = _probe(conn, table, middle)
        if ok:
            high, found = middle, maybe
        else:
            low = middle
    return found


def readable_rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> Iterator[tuple]:
    """(rowid, *columns) of every row that a scan in rowid order can read."""
    names = ", ".join(f'"{c}"' for c in columns)
    query = f'SELECT rowid, {names} FROM "{table}" WHERE rowid >= ? ORDER BY rowid'
    position: int | None = _next_existing(conn, table, _LOWEST)
    while position is not None:
        yielded = False
        try:
            for row in conn.execute(query, (position,)):
                yielded = True
                position = int(row[0]) + 1
                yield row
            return
        except sqlite3.DatabaseError:
            if not yielded:  # the row at ``position`` itself cannot be read
                position += 1
            position = _next_existing(conn, table, position)


def _one_row(conn: sqlite3.Connection, table: str, columns: list[str], rowid: int) -> tuple[tuple | None, bool]:
    """(row, complete) for one rowid: the whole row, or the columns that can be read (None for
    the others), or (None, False)."""
    names = ", ".join(f'"{c}"' for c in columns)
    try:
        row = conn.execute(f'SELECT rowid, {names} FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
        return (tuple(row), True) if row is not None else (None, False)
    except sqlite3.DatabaseError:
        pass
    values: list[object] = [rowid]
    found = False
    for column in columns:
        try:
            got = conn.execute(f'SELECT "{column}" FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
            found = found or got is not None
            values.append(None if got is None else got[0])
        except sqlite3.DatabaseError:
            values.append(None)
    return (tuple(values), False) if found else (None, False)


class _Writer:
    def __init__(self, dst: sqlite3.Connection, table: str, columns: list[str]) -> None:
        self.dst = dst
        marks = ", ".join("?" * (len(columns) + 1))
        names = ", ".join(f'"{c}"' for c in columns)
        self.sql = f'INSERT OR REPLACE INTO "{table}" (rowid, {names}) VALUES ({marks})'

    def put(self, row: tuple) -> bool:
        try:
            self.dst.execute(self.sql, row)
            return True
        except sqlite3.IntegrityError:  # e.g. a NOT NULL column that could not be read
            return False


def copy_table(src: sqlite3.Connection, dst: sqlite3.Connection, table: str,
               backup: sqlite3.Connection | None, report: Salvage) -> None:
    columns = [c for c in _columns(dst, table) if c in set(_columns(src, table))]
    if not columns:
        return
    writer = _Writer(dst, table, columns)
    copied: set[int] = set()
    incomplete: set[int] = set()
    if _has_rowid(src, table):
        for row in readable_rows(src, table, columns):
            if writer.put(row):
                copied.add(int(row[0]))
        for rowid in sorted(indexed_ids(src, table) - copied):
            row, complete = _one_row(src, table, columns, rowid)
            if row is not None and writer.put(row):
                copied.add(rowid)
                if not complete:
                    incomplete.add(rowid)
    else:  # WITHOUT ROWID: a plain scan, as far as it goes
        names = ", ".join(f'"{c}"' for c in columns)
        try:
            for row in src.execute(f'SELECT {names} FROM "{table}"'):
                dst.execute(f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES '
                            f'({", ".join("?" * len(columns))})', row)
                copied.add(len(copied))
        except sqlite3.DatabaseError:
            pass
    missing = (indexed_ids(src, table) - copied) | incomplete
    taken = _from_backup(backup, dst, table, columns, missing, writer) if backup else set()
    report.rows[table] = int(dst.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    report.lost[table] = sorted((missing - incomplete) - taken)
    report.partial[table] = len(incomplete - taken)
    report.from_backup[table] = len(taken)


def _from_backup(backup: sqlite3.Connection, dst: sqlite3.Connection, table: str,
                 columns: list[str], wanted: set[int], writer: _Writer) -> set[int]:
    """Rows of ``wanted`` that the backup holds, copied whole; returns their rowids."""
    if not wanted or table not in user_tables(backup):
        return set()
    have = set(_columns(backup, table))
    if not set(columns) <= have:  # an older backup: the new columns keep their defaults
        columns = [c for c in columns if c in have]
        writer = _Writer(dst, table, columns)
    names = ", ".join(f'"{c}"' for c in columns)
    taken: set[int] = set()
    for rowid in sorted(wanted):
        try:
            row = backup.execute(f'SELECT rowid, {names} FROM "{table}" WHERE rowid = ?',
                                 (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is not None and writer.put(tuple(row)):
            taken.add(rowid)
    return taken


def _add_missing(extra: sqlite3.Connection, dst: sqlite3.Connection, table: str,
                 report: Salvage) -> None:
    """Rows of ``extra``'s ``table`` (as far as they can be read) whose rowid the new file does
    not have yet."""
    if table not in user_tables(extra) or not _has_rowid(dst, table):
        return
    have = {int(r[0]) for r in dst.execute(f'SELECT rowid FROM "{table}"')}
    columns = [c for c in _columns(dst, table) if c in set(_columns(extra, table))]
    if not columns:
        return
    writer = _Writer(dst, table, columns)
    taken = 0
    for row in readable_rows(extra, table, columns):
        if int(row[0]) not in have and writer.put(tuple(row)):
            have.add(int(row[0]))
            taken += 1
    listed = indexed_ids(extra, table) - have
    taken += len(_from_backup(extra, dst, table, columns, listed, writer))
    report.from_backup[table] = report.from_backup.get(table, 0) + taken
    report.rows[table] = int(dst.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def _copy_everything(src: sqlite3.Connection, dst: sqlite3.Connection, report: Salvage) -> None:
    for table in user_tables(dst):
        if table in user_tables(src):
            copy_table(src, dst, table, None, report)


def _source_version(src: sqlite3.Connection | None) -> int | None:
    if src is None:
        return None
    try:
        user_tables(src)
        return int(src.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError:
        return None


def salvage_into(src: sqlite3.Connection | None, target: Path,
                 backup: sqlite3.Connection | None, *, union: bool = False,
                 extra: tuple[sqlite3.Connection, ...] = ()) -> Salvage:
    """Build the new history ``target`` (a new, empty file) from what ``src`` (the damaged file,
    or None when it cannot be opened at all) and, for the rows it lacks, ``backup`` hold: the
    rows its indexes list, or with ``union`` (``src`` is only a journal, the main file is lost)
    every row of the backup that ``src`` does not have (first those of the ``extra`` sources).
    When ``src`` has no readable schema, the backup is copied whole."""
    report = Salvage()
    version = _source_version(src)
    report.source_readable = version is not None
    backup_version = _source_version(backup)
    if version is None:
        version = backup_version if backup_version is not None else schema.SCHEMA_VERSION
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        add_functions(dst)
        dst.execute("PRAGMA foreign_keys = OFF")
        for step in range(1, min(version, schema.SCHEMA_VERSION) + 1):
            dst.execute("BEGIN")
            schema.migrate_step(dst.cursor(), step, target)
            dst.execute("COMMIT")
        dst.execute("BEGIN")
        if report.source_readable and src is not None:
            for table in user_tables(dst):
                if table in user_tables(src):
                    copy_table(src, dst, table, backup, report)
                for more in (*extra, *((backup,) if union and backup is not None else ())):
                    _add_missing(more, dst, table, report)
        elif backup is not None:
            for more in extra:
                for table in user_tables(dst):
                    _add_missing(more, dst, table, report)
            if union:
                for table in user_tables(dst):
                    _add_missing(backup, dst, table, report)
            else:
                _copy_everything(backup, dst, report)
        _rebuild_derived(dst)
        report.without_images = _without_images(dst)
        report.rows = {t: int(dst.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
                       for t in user_tables(dst)}
        dst.execute("COMMIT")
        result = run_check(dst, "PRAGMA integrity_check", None, "integrity")
        if result.ok is not True:
            raise sqlite3.DatabaseError(f"the new file failed its check: {result.problems[:3]}")
        dst.execute("PRAGMA journal_mode = WAL")
    finally:
        dst.close()
    log.info("salvage: %s", {t: n for t, n in report.rows.items()})
    return report


def _without_images(dst: sqlite3.Connection) -> int:
    tables = user_tables(dst)
    if READINGS not in tables or "reading_images" not in tables:
        return 0
    return int(dst.execute("SELECT COUNT(*) FROM readings WHERE id NOT IN "
                           "(SELECT reading_id FROM reading_images)").fetchone()[0])


def _rebuild_derived(dst: sqlite3.Connection) -> None:
    """Rows that are not readings are dropped (read from a page that belongs elsewhere), then
    the images of readings that could not be saved (a later reading given that id could not be
    saved); the folded search text and the text index are made again."""
    tables = user_tables(dst)
    columns = _columns(dst, READINGS) if READINGS in tables else []
    if "probabilities" in columns:
        try:
            dst.execute("DELETE FROM readings WHERE json_valid(probabilities) = 0")
        except sqlite3.OperationalError:
            pass  # an SQLite without JSON functions
    if columns and "reading_images" in tables:
        dst.execute("DELETE FROM reading_images WHERE reading_id NOT IN (SELECT id FROM readings)")
    if "search_text" in columns:
        dst.execute("UPDATE readings SET search_text = cxr_search_text(patient_id, patient_name, note)")
    for (name, sql) in dst.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall():
        if (sql or "").upper().startswith("CREATE VIRTUAL") and "fts5" in (sql or "").lower():
            dst.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
