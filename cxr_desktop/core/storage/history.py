"""History: the reading history's one connection and its API.

Concurrency:
  * Every write is one ``BEGIN IMMEDIATE`` transaction (see ``transaction``).
  * One connection per ``History``, shared by threads under a lock (the GUI calls it from a worker
    thread and the GUI thread). ``export_csv`` reads through its own connection so a long export
    never blocks the GUI.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cxr_desktop import paths
from cxr_desktop.core.errors import NewerDatabaseError, StorageError
from cxr_desktop.core.storage import schema
from cxr_desktop.core.storage.connection import (
    _check_file,
    _connect,
    _connect_read_only,
    _prepare_folder,
)
from cxr_desktop.core.storage.export import _export_csv
from cxr_desktop.core.storage.query import UNSET, ReadingQuery, _order, _Unset, _where
from cxr_desktop.core.storage.rows import _reading_to_row, _row_to_reading
from cxr_desktop.core.storage.schema import _COLUMNS, _SELECT
from cxr_desktop.core.storage.sqlite_errors import _storage_error
from cxr_desktop.core.storage.times import utc_now_iso
from cxr_desktop.core.storage.transaction import _write_transaction
from cxr_desktop.core.types import Reading

log = logging.getLogger("cxr_desktop.core.storage")

T = TypeVar("T")


class History:
    """The reading history. Thread-safe; use as a context manager or call ``close()``."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else paths.database_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        #: True when the folder cannot be written (read-only disk or network share): the
        #: readings can still be listed and shown; saving raises StorageError.
        self.read_only = False
        _prepare_folder(self.path)
        try:
            _check_file(self.path)
            self._conn = _connect(self.path)
        except NewerDatabaseError:
            raise
        except StorageError:
            if os.access(self.path.parent, os.W_OK):
                raise
            self._conn = _connect_read_only(self.path)
            self.read_only = True
        try:
            if not self.read_only:
                self._migrate()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        log.info("history opened (schema v%d)", schema.SCHEMA_VERSION)

    def _migrate(self) -> None:
        conn = self._require()
        for target in range(1, schema.SCHEMA_VERSION + 1):
            try:
                current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise _storage_error(exc, "open", self.path) from exc
            if current >= target and current <= schema.SCHEMA_VERSION:
                continue
            step = functools.partial(schema._migrate_step, target=target, path=self.path)
            self._write(step, action="open")

    # -- plumbing --------------------------------------------------------------------------

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError("The reading history is closed.", detail=str(self.path))
        return self._conn

    def _write(self, work: Callable[[sqlite3.Cursor], T], action: str = "save") -> T:
        """Run ``work`` in one BEGIN IMMEDIATE transaction; retry while another writer holds it."""
        with self._lock:
            return _write_transaction(self._require(), work, action, self.path)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            conn = self._require()
            try:
                return work(conn)
            except sqlite3.Error as exc:
                raise _storage_error(exc, "read", self.path) from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- diagnostics -----------------------------------------------------------------------

    def pragma(self, name: str) -> Any:
        """The value of a read-only PRAGMA (journal_mode, foreign_keys, user_version, ...)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"bad pragma name {name!r}")
        return self._read(lambda conn: conn.execute(f"PRAGMA {name}").fetchone()[0])

    # -- API -------------------------------------------------------------------------------

    def add(self, reading: Reading) -> int:
        """Store a reading (its ``id`` is ignored); returns the new id once it is committed."""
        values = _reading_to_row(reading)
        columns = _COLUMNS[1:]

        def work(cur: sqlite3.Cursor) -> int:
            cur.execute(
                f"INSERT INTO readings ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                values,
            )
            new_id = int(cur.lastrowid or 0)
            cur.execute(
                "INSERT INTO reading_images (reading_id, thumbnail_png, preview_png, heatmap_png)"
                " VALUES (?, ?, ?, ?)",
                (new_id, reading.thumbnail_png, reading.preview_png, reading.heatmap_png),
            )
            return new_id

        new_id = self._write(work)
        log.info("history: reading %d saved", new_id)
        return new_id

    def get(self, reading_id: int) -> Reading | None:
        """One reading with its preview, heatmap and thumbnail, or None."""

        def work(conn: sqlite3.Connection) -> Reading | None:
            row = conn.execute(
                f"SELECT {_SELECT}, i.thumbnail_png, i.preview_png, i.heatmap_png FROM readings r"
                " LEFT JOIN reading_images i ON i.reading_id = r.id WHERE r.id = ?",
                (int(reading_id),),
            ).fetchone()
            if row is None:
                return None
            n = len(_COLUMNS)
            return _row_to_reading(row[:n], row[n:])

        return self._read(work)

    def search(self, query: ReadingQuery | None = None) -> list[Reading]:
        """One page of readings, with thumbnails but without preview/heatmap (None)."""
        query = query or ReadingQuery()
        where, params = _where(query)
        sql = (
            f"SELECT {_SELECT}, i.thumbnail_png FROM readings r"
            f" LEFT JOIN reading_images i ON i.reading_id = r.id{where}{_order(query)}"
            " LIMIT ? OFFSET ?"
        )
        params += [max(0, int(query.limit)), max(0, int(query.offset))]

        def work(conn: sqlite3.Connection) -> list[Reading]:
            n = len(_COLUMNS)
            return [
                _row_to_reading(row[:n], (row[n], None, None)) for row in conn.execute(sql, params)
            ]

        return self._read(work)

    def count(self, query: ReadingQuery | None = None) -> int:
        """How many readings match (limit/offset are ignored)."""
        where, params = _where(query or ReadingQuery())
        return self._read(
            lambda conn: int(conn.execute(f"SELECT COUNT(*) FROM readings r{where}", params).fetchone()[0])
        )

    def update_review(
        self,
        reading_id: int,
        *,
        note: str | None = None,
        confirmed_label: str | None | _Unset = UNSET,
    ) -> Reading:
        """Record a clinician's review: the note (None = keep), the confirmed label (UNSET = keep,
        None = clear); ``reviewed_utc`` becomes now. Raises StorageError if the reading is gone."""
        sets = ["reviewed_utc = ?"]
        params: list[Any] = [utc_now_iso()]
        if note is not None:
            sets.append("note = ?")
            params.append(note)
        if not isinstance(confirmed_label, _Unset):
            sets.append("confirmed_label = ?")
            params.append(confirmed_label)
        reading = self._update_one(reading_id, sets, params)
        log.info("history: reading %d reviewed", reading_id)
        return reading

    def update_patient(
        self, reading_id: int, *, patient_id: str | None, patient_name: str | None
    ) -> Reading:
        """Correct the patient fields of a stored reading (None clears a field); the id, time and
        review are kept. Raises StorageError if the reading is gone."""
        reading = self._update_one(
            reading_id, ["patient_id = ?", "patient_name = ?"], [patient_id, patient_name]
        )
        log.info("history: patient details of reading %d changed", reading_id)
        return reading

    def _update_one(self, reading_id: int, sets: list[str], params: list[Any]) -> Reading:
        """``UPDATE readings SET <sets>`` for one reading, then the reading as it now is.
        Raises StorageError if the reading is gone."""

        def work(cur: sqlite3.Cursor) -> int:
            cur.execute(
                f"UPDATE readings SET {', '.join(sets)} WHERE id = ?", [*params, int(reading_id)]
            )
            return cur.rowcount

        gone = "This reading is no longer in the history."
        with self._lock:
            if self._write(work) != 1:
                raise StorageError(gone, detail=f"reading {reading_id}")
            reading = self.get(reading_id)
        if reading is None:  # pragma: no cover - deleted by another process in between
            raise StorageError(gone, detail=f"reading {reading_id}")
        return reading

    def delete(self, reading_id: int) -> bool:
        """Remove a reading and its images; False if there was none with that id."""

        def work(cur: sqlite3.Cursor) -> bool:
            cur.execute("DELETE FROM readings WHERE id = ?", (int(reading_id),))
            return cur.rowcount > 0

        deleted = self._write(work)
        if deleted:
            log.info("history: reading %d deleted", reading_id)
        return deleted

    # -- export ----------------------------------------------------------------------------

    def export_csv(self, path: Path | str, query: ReadingQuery | None = None) -> int:
        """Write every reading matching ``query`` (all pages; default: all, oldest first) to a
        CSV file; returns the number of rows. Written to a temporary file, then renamed."""
        self._require()
        if query is None:
            query = ReadingQuery(descending=False)
        target = Path(path)
        where, params = _where(query)
        order = _order(query)
        # A separate connection: one consistent snapshot, and the GUI's writes are not blocked.
        conn = _connect_read_only(self.path) if self.read_only else _connect(self.path)
        try:
            written = _export_csv(conn, self.path, target, where, params, order)
        finally:
            conn.close()
        log.info("history: %d readings exported", written)
        return written
