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
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery
from cxr_desktop.core.storage.csv_export import write_readings_csv
from cxr_desktop.core.storage.protocol import StoreInfo
from cxr_desktop.core.storage.query import UNSET, ReadingQuery, Unset
from cxr_desktop.core.storage.reviews import stale_review
from cxr_desktop.core.storage.safeguards import SAFEGUARD_ERRORS, BackupInfo
from cxr_desktop.core.storage.sqlite import backup as backups
from cxr_desktop.core.storage.sqlite import clinic, journal, safety, schema, site_profiles, sql
from cxr_desktop.core.storage.sqlite.connection import (
    connect,
    connect_read_only,
    prepare_folder,
)
from cxr_desktop.core.storage.sqlite.errors import storage_error
from cxr_desktop.core.storage.sqlite.opening import check_before_connect
from cxr_desktop.core.storage.sqlite.rows import reading_to_row, row_to_reading
from cxr_desktop.core.storage.sqlite.schema import COLUMNS, SEARCH_COLUMN, SELECT
from cxr_desktop.core.storage.sqlite.transaction import write_transaction
from cxr_desktop.core.storage.times import utc_now_iso
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_, _

log = logging.getLogger("cxr_desktop.core.storage")
TOLD = {"file_only": True}  # the person is told in a message: the log file only

T = TypeVar("T")

GONE = N_("This reading is no longer in the history.")


class SqliteHistory:
    """The reading history in one SQLite file. Thread-safe; a ``HistoryStore``."""

    def __init__(self, path: Path | str | None = None, backup_folder: Path | str | None = None,
                 *, new_if_missing: bool = False) -> None:
        self.path = Path(path) if path is not None else paths.database_path()
        self.backup_folder = (Path(backup_folder) if backup_folder is not None
                              else backups.default_folder(self.path))
        self._write_lock = threading.RLock()
        self._read_lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._read_only = False
        self._safety_state()
        prepare_folder(self.path)
        try:
            self._notices += check_before_connect(self.path, self.backup_folder,
                                                  new_if_missing=new_if_missing)
            self._conn = connect(self.path)
        except (NewerDatabaseError, *SAFEGUARD_ERRORS):
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
            self._safety_opened()
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
        first = None  # the version the file had: a new file (0) needs no backup
        for target in range(1, schema.SCHEMA_VERSION + 1):
            try:
                current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise storage_error(exc, "open", self.path) from exc
            if current >= target and current <= schema.SCHEMA_VERSION:
                continue
            first = current if first is None else first
            if first >= 1:
                self._backup_before_migration()
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
            safety.before_write(self)
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
            abandoned = {id(c) for c in getattr(self, "_abandoned", ())}  # see safety._abandon
            for conn in {id(c): c for c in (self._reader, self._conn)
                         if c is not None and id(c) not in abandoned}.values():
                try:
                    conn.close()
                except sqlite3.Error:
                    log.warning("history: closing a connection failed", exc_info=True)
            self._conn = self._reader = None
            journal.unregister(getattr(self, "_ids", journal.FileIds(None, None, None)).main, self)

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
            if reading.uid is not None:  # issue 15: the same reading sent twice is stored once
                known = clinic.find_uid(cur, reading.uid)
                if known is not None:
                    return known
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
        def work(conn: sqlite3.Connection) -> Reading | None:
            row = conn.execute(
                f"SELECT {SELECT}, i.thumbnail_png, i.preview_png, i.heatmap_png FROM readings r"
                " LEFT JOIN reading_images i ON i.reading_id = r.id WHERE r.id = ?",
                (int(reading_id),),
            ).fetchone()
            if row is None:
                return None
            n = len(COLUMNS)
            return row_to_reading(row[:n], row[n:])

        return self._read(work)

    def search(self, query: ReadingQuery | None = None) -> list[Reading]:
        query = query or ReadingQuery()
        where, params = sql.where(query, self._indexed)
        order = sql.order(query)
        # The page is chosen on the readings table alone; only its rows' thumbnails are read
        # (joining first would read the thumbnail of every match, or of every skipped row).
        statement = (
            f"SELECT {SELECT}, i.thumbnail_png FROM"
            f" (SELECT r.id AS page_id FROM readings r{where}{order} LIMIT ? OFFSET ?) page"
            " JOIN readings r ON r.id = page.page_id"
            f" LEFT JOIN reading_images i ON i.reading_id = r.id{order}"
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
        confirmed_label: str | None | Unset = UNSET, expected_version: int | None = None,
    ) -> Reading:
        sets = ["reviewed_utc = ?", "version = version + 1"]
        params: list[Any] = [utc_now_iso()]
        if note is not None:
            sets.append("note = ?")
            params.append(note)
        if not isinstance(confirmed_label, Unset):
            sets.append("confirmed_label = ?")
            params.append(confirmed_label)
        reading = self._update_one(reading_id, sets, params, expected_version)
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

    def _update_one(self, reading_id: int, sets: list[str], params: list[Any],
                    expected_version: int | None = None) -> Reading:
        """``UPDATE readings SET <sets>`` (and the search text) for one reading, then the reading
        as it now is. Raises StorageError if the reading is gone, StaleReviewError if its version
        is not ``expected_version`` (when given)."""

        def work(cur: sqlite3.Cursor) -> int:
            if expected_version is not None:
                row = cur.execute("SELECT version FROM readings WHERE id = ?",
                                  (int(reading_id),)).fetchone()
                if row is not None and int(row[0]) != int(expected_version):
                    return -1
            cur.execute(
                f"UPDATE readings SET {', '.join(sets)} WHERE id = ?", [*params, int(reading_id)]
            )
            changed = cur.rowcount
            cur.execute(
                "UPDATE readings SET search_text = cxr_search_text(patient_id, patient_name, note)"
                " WHERE id = ?", (int(reading_id),),
            )
            return changed

        changed = self._write(work)
        if changed == -1:
            raise stale_review(self.get(reading_id), reading_id)
        if changed != 1:
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
        return safety.open_extra(self, read_only=False)

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
            safety.close_extra(self, conn)

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
            safety.close_extra(self, conn)
        log.info("history: %d readings exported", written)
        return written

    # -- issue 15: reading keys, accounts, audit trail (sqlite/clinic.py) ---------------------

    def find_uid(self, uid: str) -> int | None:
        return self._read(lambda conn: clinic.find_uid(conn, uid))

    def save_account(self, account: Account) -> None:
        self._write(lambda cur: clinic.save_account(cur, account))

    def get_account(self, name: str) -> Account | None:
        return self._read(lambda conn: clinic.get_account(conn, name))

    def list_accounts(self) -> list[Account]:
        return self._read(clinic.list_accounts)

    def append_audit(self, event: AuditEvent) -> int:
        return self._write(lambda cur: clinic.append_audit(cur, event))

    def search_audit(self, query: AuditQuery | None = None) -> list[AuditEvent]:
        return self._read(lambda conn: clinic.search_audit(conn, query or AuditQuery()))

    # -- issue 12: site calibration profiles ---------------------------------------------------

    def add_site_profile(self, profile: SiteProfile) -> SiteProfile:
        new_id = self._write(lambda cur: site_profiles.insert(cur, profile))
        log.info("history: site calibration profile %d stored", new_id)
        stored = self._read(lambda conn: site_profiles.fetch_one(conn, new_id))
        if stored is None:  # pragma: no cover - only a damaged file
            raise StorageError(_("The site calibration could not be saved."), detail=str(new_id))
        return stored

    def site_profiles(self) -> list[SiteProfile]:
        return self._read(site_profiles.fetch_all)

    def active_site_profile(self) -> SiteProfile | None:
        return self._read(site_profiles.fetch_active)

    def roll_back_site_profile(self, profile_id: int, *, by: str) -> SiteProfile:
        if self._write(lambda cur: site_profiles.roll_back(cur, profile_id, by)) != 1:
            raise StorageError(_("This site calibration is not in use, so it cannot be rolled back."),
                               detail=f"profile {profile_id}")
        log.info("history: site calibration profile %d rolled back", profile_id)
        profile = self._read(lambda conn: site_profiles.fetch_one(conn, profile_id))
        assert profile is not None
        return profile

    # -- issue 14: integrity, journal, backups (the work is in sqlite/safety.py) ---------------

    def _safety_state(self) -> None:
        self._notice_lock = threading.Lock()
        self._notices: list[StorageError] = []
        self._stopped: StorageError | None = None  # writes refused (damaged, journal split)
        self._extra_connections = 0
        self._abandoned: list[sqlite3.Connection] = []  # never closed (safety._abandon)
        self._ids = journal.FileIds(None, None, None)

    def _safety_opened(self) -> None:
        self._ids = journal.FileIds.of(self.path)
        journal.register(self._ids.main, self)

    def _backup_before_migration(self) -> None:
        if getattr(self, "_migration_backup_done", False):
            return
        self._migration_backup_done = True
        with self._write_lock:
            if self._require().execute("SELECT 1 FROM readings LIMIT 1").fetchone() is None:
                return  # nothing to lose (e.g. another process is creating the history now)
        for folder in safety.folders(self):
            try:
                safety.make_backup(self, folder, backups.BEFORE_MIGRATION, stepped=False)
                return
            except StorageError as exc:
                log.error("history: no backup before the update: %s", type(exc).__name__, extra=TOLD)
                error = exc
        safety.notify(self, error)

    def journal_changed(self) -> bool:
        """Whether the files are no longer those opened (for other histories of this process)."""
        return safety.journal_changed(self)

    def notices(self) -> list[StorageError]:
        return safety.take_notices(self)

    def verify(self) -> list[StorageError]:
        return safety.verify(self)

    def backup(self, folder: Path | str | None = None, reason: str = "manual") -> BackupInfo:
        return safety.make_backup(self, Path(folder) if folder is not None else None, reason)

    def backups(self, folder: Path | str | None = None) -> list[BackupInfo]:
        places = [Path(folder)] if folder is not None else safety.folders(self)
        found = [b for place in places for b in backups.list_backups(place)]
        return sorted(found, key=lambda b: (b.taken_utc, b.path.name), reverse=True)

    def restore(self, backup: BackupInfo | Path | str) -> BackupInfo:
        return safety.restore(self, backup)
