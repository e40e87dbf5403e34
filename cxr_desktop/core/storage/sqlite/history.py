"""SqliteHistory: the embedded ``HistoryStore``, one SQLite file in the user data folder.

Concurrency:
  * Every write is one ``BEGIN IMMEDIATE`` transaction with a busy timeout and a few retries
    (``transaction``), on the write connection, under the write lock.
  * Reads go through a second connection under their own lock: in WAL mode they never wait for
    a writer, so a write stuck behind another process's transaction never holds up listing or
    searching from another thread.
  * ``iter_readings`` and ``export_csv`` read through a connection of their own, in one read
    transaction (one consistent snapshot), so a long export blocks nobody.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from cxr_desktop import paths
from cxr_desktop.core.errors import NewerDatabaseError, StorageError
from cxr_desktop.core.storage.csv_export import write_readings_csv
from cxr_desktop.core.storage.protocol import StoreInfo
from cxr_desktop.core.storage.query import UNSET, ReadingQuery, Unset
from cxr_desktop.core.storage.sqlite import dicom_facts, schema, sql
from cxr_desktop.core.storage.sqlite.connection import (
    check_file,
    connect,
    connect_read_only,
    prepare_folder,
)
from cxr_desktop.core.storage.sqlite.errors import storage_error
from cxr_desktop.core.storage.sqlite.rows import reading_to_row, row_to_reading
from cxr_desktop.core.storage.sqlite.schema import COLUMNS, SEARCH_COLUMN, SELECT
from cxr_desktop.core.storage.sqlite.transaction import write_transaction
from cxr_desktop.core.storage.times import utc_now_iso
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_, _

log = logging.getLogger("cxr_desktop.core.storage")

T = TypeVar("T")

GONE = N_("This reading is no longer in the history.")


class SqliteHistory:
    """The reading history in one SQLite file. Thread-safe; a ``HistoryStore``."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else paths.database_path()
        self._write_lock = threading.RLock()
        self._read_lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_only = False
        prepare_folder(self.path)
        try:
            check_file(self.path)
            self._conn = connect(self.path)
        except NewerDatabaseError:
            raise
        except StorageError:
            if os.access(self.path.parent, os.W_OK):
                raise
            self._conn = connect_read_only(self.path)
            self._read_only = True
        try:
            if not self._read_only:
                self._migrate()
                self._reader = connect(self.path)
            else:
                self._reader = self._conn
            self._indexed = schema.has_fts(self._reader)
        except BaseException:
            self.close()
            raise
        log.info("history opened (schema v%d)", schema.SCHEMA_VERSION)

    @property
    def read_only(self) -> bool:
        return self._read_only

    def info(self) -> StoreInfo:
        version = self._read(lambda c: int(c.execute("PRAGMA user_version").fetchone()[0]))
        return StoreInfo("sqlite", str(self.path), version, self._read_only)

    def _migrate(self) -> None:
        conn = self._require()
        for target in range(1, schema.SCHEMA_VERSION + 1):
            try:
                current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise storage_error(exc, "open", self.path) from exc
            if current >= target and current <= schema.SCHEMA_VERSION:
                continue
            step = functools.partial(schema.migrate_step, target=target, path=self.path)
            self._write(step, action="open")

    # -- plumbing --------------------------------------------------------------------------

    def _require(self, reader: bool = False) -> sqlite3.Connection:
        conn = self._reader if reader else self._conn
        if conn is None:
            raise StorageError(_("The reading history is closed."), detail=str(self.path))
        return conn

    def _write(self, work: Callable[[sqlite3.Cursor], T], action: str = "save") -> T:
        """Run ``work`` in one BEGIN IMMEDIATE transaction; retry while another writer holds it."""
        with self._write_lock:
            return write_transaction(self._require(), work, action, self.path)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        lock = self._write_lock if self._reader is self._conn else self._read_lock
        with lock:
            conn = self._require(reader=True)
            try:
                return work(conn)
            except sqlite3.Error as exc:
                raise storage_error(exc, "read", self.path) from exc

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            for conn in {id(c): c for c in (self._reader, self._conn) if c is not None}.values():
                try:
                    conn.close()
                except sqlite3.Error:
                    log.warning("history: closing a connection failed", exc_info=True)
            self._conn = self._reader = None

    def __enter__(self) -> SqliteHistory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def pragma(self, name: str) -> Any:
        """The value of a read-only PRAGMA of the write connection (for diagnostics and tests)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"bad pragma name {name!r}")
        with self._write_lock:
            return self._require().execute(f"PRAGMA {name}").fetchone()[0]

    # -- HistoryStore ------------------------------------------------------------------------

    def add(self, reading: Reading) -> int:
        values = reading_to_row(reading)
        columns = (*COLUMNS[1:], SEARCH_COLUMN)

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
            dicom_facts.insert_facts(cur, new_id, reading.dicom)
            return new_id

        new_id = self._write(work)
        log.info("history: reading %d saved", new_id)
        return new_id

    def get(self, reading_id: int) -> Reading | None:
        def work(conn: sqlite3.Connection) -> Reading | None:
            row = conn.execute(
                f"SELECT {SELECT}, i.thumbnail_png, i.preview_png, i.heatmap_png FROM readings r"
                " LEFT JOIN reading_images i ON i.reading_id = r.id WHERE r.id = ?",
                (int(reading_id),),
            ).fetchone()
            if row is None:
                return None
            n = len(COLUMNS)
            reading = row_to_reading(row[:n], row[n:])
            facts = dicom_facts.load_facts(conn, reading_id)
            return reading if facts is None else dataclasses.replace(reading, dicom=facts)

        return self._read(work)

    def search(self, query: ReadingQuery | None = None) -> list[Reading]:
        query = query or ReadingQuery()
        where, params = sql.where(query, self._indexed)
        statement = (
            f"SELECT {SELECT}, i.thumbnail_png FROM readings r"
            f" LEFT JOIN reading_images i ON i.reading_id = r.id{where}{sql.order(query)}"
            " LIMIT ? OFFSET ?"
        )
        params += [max(0, int(query.limit)), max(0, int(query.offset))]

        def work(conn: sqlite3.Connection) -> list[Reading]:
            n = len(COLUMNS)
            return [row_to_reading(row[:n], (row[n], None, None)) for row in conn.execute(statement, params)]

        return self._read(work)

    def count(self, query: ReadingQuery | None = None) -> int:
        where, params = sql.where(query or ReadingQuery(), self._indexed)
        return self._read(
            lambda conn: int(conn.execute(f"SELECT COUNT(*) FROM readings r{where}", params).fetchone()[0])
        )

    def update_review(
        self, reading_id: int, *, note: str | None = None,
        confirmed_label: str | None | Unset = UNSET,
    ) -> Reading:
        sets = ["reviewed_utc = ?"]
        params: list[Any] = [utc_now_iso()]
        if note is not None:
            sets.append("note = ?")
            params.append(note)
        if not isinstance(confirmed_label, Unset):
            sets.append("confirmed_label = ?")
            params.append(confirmed_label)
        reading = self._update_one(reading_id, sets, params)
        log.info("history: reading %d reviewed", reading_id)
        return reading

    def update_patient(
        self, reading_id: int, *, patient_id: str | None, patient_name: str | None
    ) -> Reading:
        reading = self._update_one(
            reading_id, ["patient_id = ?", "patient_name = ?"], [patient_id, patient_name]
        )
        log.info("history: patient details of reading %d changed", reading_id)
        return reading

    def _update_one(self, reading_id: int, sets: list[str], params: list[Any]) -> Reading:
        """``UPDATE readings SET <sets>`` (and the search text) for one reading, then the reading
        as it now is. Raises StorageError if the reading is gone."""

        def work(cur: sqlite3.Cursor) -> int:
            cur.execute(
                f"UPDATE readings SET {', '.join(sets)} WHERE id = ?", [*params, int(reading_id)]
            )
            changed = cur.rowcount
            cur.execute(
                "UPDATE readings SET search_text = cxr_search_text(patient_id, patient_name, note)"
                " WHERE id = ?", (int(reading_id),),
            )
            return changed

        if self._write(work) != 1:
            raise StorageError(_(GONE), detail=f"reading {reading_id}")
        reading = self.get(reading_id)
        if reading is None:  # pragma: no cover - deleted by another process in between
            raise StorageError(_(GONE), detail=f"reading {reading_id}")
        return reading

    def delete(self, reading_id: int) -> bool:
        def work(cur: sqlite3.Cursor) -> bool:
            cur.execute("DELETE FROM readings WHERE id = ?", (int(reading_id),))
            return cur.rowcount > 0

        deleted = self._write(work)
        if deleted:
            log.info("history: reading %d deleted", reading_id)
        return deleted

    # -- snapshots and export ----------------------------------------------------------------

    def _snapshot(self) -> sqlite3.Connection:
        self._require()
        return connect_read_only(self.path) if self._read_only else connect(self.path)

    def iter_readings(self, query: ReadingQuery | None = None) -> Iterator[Reading]:
        query = query or ReadingQuery(descending=False)
        where, params = sql.where(query, self._indexed)
        conn = self._snapshot()
        try:
            conn.execute("BEGIN")
            rows = conn.execute(f"SELECT {SELECT} FROM readings r{where}{sql.order(query)}", params)
            for row in rows:
                yield row_to_reading(row)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise storage_error(exc, "read", self.path) from exc
        finally:
            conn.close()

    def export_csv(self, path: Path | str, query: ReadingQuery | None = None) -> int:
        query = query or ReadingQuery(descending=False)
        target = Path(path)
        where, params = sql.where(query, self._indexed)
        conn = self._snapshot()  # one consistent snapshot; the GUI's writes are not blocked
        try:
            conn.execute("BEGIN")
            labels: set[str] = set()
            for (probs,) in conn.execute(f"SELECT r.probabilities FROM readings r{where}", params):
                try:
                    labels.update(str(k) for k in json.loads(probs))
                except (TypeError, ValueError, AttributeError):
                    continue
            rows = conn.execute(f"SELECT {SELECT} FROM readings r{where}{sql.order(query)}", params)
            written = write_readings_csv(target, sorted(labels), (row_to_reading(r) for r in rows))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise storage_error(exc, "export", self.path) from exc
        except OSError as exc:
            raise storage_error(exc, "export", target) from exc
        finally:
            conn.close()
        log.info("history: %d readings exported", written)
        return written

    # -- issue 11: an image read before, the worklist ----------------------------------------

    def find_same_image(
        self, *, file_sha256: str | None = None, sop_instance_uid: str | None = None
    ) -> list[Reading]:
        return self._read(lambda c: dicom_facts.find_same_image(c, file_sha256, sop_instance_uid))

    def to_review(self, limit: int = 100, offset: int = 0) -> list[Reading]:
        return self._read(lambda c: dicom_facts.to_review(c, limit, offset))

    def count_to_review(self) -> int:
        return self._read(dicom_facts.count_to_review)
