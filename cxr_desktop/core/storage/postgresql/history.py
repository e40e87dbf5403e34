"""PostgresHistory: the ``HistoryStore`` on a clinic's PostgreSQL server, shared by its PCs.

Concurrency, like SqliteHistory: one connection for writes and one for reads, each under its
own lock, so a slow write never holds up listing; ``iter_readings`` and ``export_csv`` read one
consistent snapshot (REPEATABLE READ) on a connection of their own. Many PCs write at once:
``add`` is idempotent by the reading's ``uid`` (INSERT ... ON CONFLICT), a review locks its row
(SELECT ... FOR UPDATE) and is refused on a stale ``version``.

Outages: a connection that broke is replaced by a new one on the next call; a call whose
connection was found dead before anything was sent is retried once. When the server cannot be
reached, calls raise DatabaseUnreachableError within seconds (``connection``); keeping new
readings meanwhile is the local queue's work (``service.sync``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery
from cxr_desktop.core.storage.csv_export import write_readings_csv
from cxr_desktop.core.storage.postgresql import clinic, dicom_facts, schema, site_profiles, sql
from cxr_desktop.core.storage.postgresql.address import parse_address
from cxr_desktop.core.storage.postgresql.connection import connect, usable
from cxr_desktop.core.storage.postgresql.errors import is_unreachable, storage_error
from cxr_desktop.core.storage.postgresql.rows import (
    INSERT_COLUMNS,
    PLACEHOLDERS,
    SELECT,
    reading_to_row,
    row_to_reading,
    text,
)
from cxr_desktop.core.storage.protocol import StoreInfo
from cxr_desktop.core.storage.query import UNSET, ReadingQuery, Unset
from cxr_desktop.core.storage.reviews import GONE, stale_review
from cxr_desktop.core.storage.safeguards import BackupError, BackupInfo
from cxr_desktop.core.storage.search_text import search_text
from cxr_desktop.core.storage.times import utc_now_iso
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_, _

#: Why a PC does not back up or restore the shared history itself.
SERVER_BACKUPS = N_("The shared clinic database is backed up on the clinic's server, not from this "
                    "computer. Ask the person who looks after the server to restore a backup.")

log = logging.getLogger("cxr_desktop.core.storage")

T = TypeVar("T")
_STALE = object()


class PostgresHistory:
    """The reading history on a PostgreSQL server. Thread-safe; a ``HistoryStore``.

    ``url``: ``postgresql://user@host:port/db?sslmode=verify-full`` (a password in it or in
    ``password``). ``connect_now=False`` opens nothing until the first call (a PC that starts
    while the server is down)."""

    def __init__(self, url: str, *, password: str | None = None, connect_now: bool = True) -> None:
        address = parse_address(url)
        if password is not None and address.password is None:
            address = address.with_password(password)
        self.address = address
        self.location = address.location()
        self._write_lock = threading.RLock()
        self._read_lock = threading.RLock()
        self._ready_lock = threading.Lock()
        self._conn: Any = None
        self._reader: Any = None
        self._closed = False
        self._version = 0
        if connect_now:
            with self._write_lock:
                self._get(reader=False)
            log.info("clinic database opened (schema v%d)", self._version)

    @property
    def read_only(self) -> bool:
        return False

    def info(self) -> StoreInfo:
        with self._read_lock:
            self._get(reader=True)
        return StoreInfo("postgresql", self.location, self._version, False)

    # -- plumbing --------------------------------------------------------------------------

    def _get(self, reader: bool) -> Any:
        """The reader's or writer's connection, (re)connected and the schema checked. The
        caller holds that connection's lock."""
        if self._closed:
            raise StorageError(_("The reading history is closed."), detail=self.location)
        conn = self._reader if reader else self._conn
        if not usable(conn):
            self._drop(conn)
            conn = connect(self.address)
            if reader:
                self._reader = conn
            else:
                self._conn = conn
            self._check_schema(conn)
        return conn

    def _check_schema(self, conn: Any) -> None:
        import psycopg

        with self._ready_lock:
            if self._version:
                return
            try:
                self._version = schema.migrate(conn)
            except psycopg.Error as exc:
                error = storage_error(exc, "open", self.location)
                if isinstance(exc, psycopg.errors.InsufficientPrivilege):
                    from cxr_desktop.core.storage.postgresql.errors import NEEDS_UPGRADE

                    error = StorageError(_(NEEDS_UPGRADE), detail=error.detail)
                raise error from None

    @staticmethod
    def _drop(conn: Any) -> None:
        if conn is not None and not conn.closed:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close
                log.debug("closing a broken connection failed", exc_info=True)

    def _run(self, reader: bool, work: Callable[[Any], T], action: str) -> T:
        """``work(cursor)`` in one transaction. Retried once on a fresh connection when the old
        one turned out dead before the transaction began (nothing was sent)."""
        import psycopg

        lock = self._read_lock if reader else self._write_lock
        with lock:
            for attempt in (1, 2):
                conn = self._get(reader)
                began = False
                try:
                    with conn.transaction():
                        began = True
                        with conn.cursor() as cur:
                            return work(cur)
                except psycopg.Error as exc:
                    if is_unreachable(exc):
                        self._drop(conn)
                        if attempt == 1 and (reader or not began):
                            continue
                    raise storage_error(exc, action, self.location) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, work: Callable[[Any], T], action: str = "save") -> T:
        return self._run(False, work, action)

    def _read(self, work: Callable[[Any], T]) -> T:
        return self._run(True, work, "read")

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            self._closed = True
            for conn in (self._conn, self._reader):
                self._drop(conn)
            self._conn = self._reader = None

    def __enter__(self) -> PostgresHistory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- HistoryStore ------------------------------------------------------------------------

    def add(self, reading: Reading) -> int:
        values = reading_to_row(reading)

        def work(cur: Any) -> int:
            cur.execute(
                f"INSERT INTO readings ({', '.join(INSERT_COLUMNS)}) VALUES ({PLACEHOLDERS})"
                " ON CONFLICT (uid) DO NOTHING RETURNING id", values)
            row = cur.fetchone()
            if row is None:  # this uid is stored already: the same reading, sent again
                cur.execute("SELECT id FROM readings WHERE uid = %s::uuid", (reading.uid,))
                return int(cur.fetchone()[0])
            cur.execute(
                "INSERT INTO reading_images (reading_id, thumbnail_png, preview_png, heatmap_png)"
                " VALUES (%s, %s, %s, %s)",
                (row[0], reading.thumbnail_png, reading.preview_png, reading.heatmap_png))
            dicom_facts.insert_facts(cur, row[0], reading.dicom)  # issue 11
            return int(row[0])

        new_id = self._write(work)
        log.info("clinic history: reading %d saved", new_id)
        return new_id

    def get(self, reading_id: int) -> Reading | None:
        def work(cur: Any) -> Reading | None:
            cur.execute(
                f"SELECT {SELECT}, i.thumbnail_png, i.preview_png, i.heatmap_png FROM readings r"
                " LEFT JOIN reading_images i ON i.reading_id = r.id WHERE r.id = %s",
                (int(reading_id),))
            row = cur.fetchone()
            if row is None:
                return None
            facts = dicom_facts.load_facts(cur, reading_id)  # issue 11
            return dataclasses.replace(row_to_reading(row[:-3], row[-3:]), dicom=facts)

        return self._read(work)

    def search(self, query: ReadingQuery | None = None) -> list[Reading]:
        query = query or ReadingQuery()
        where, params = sql.where(query)
        statement = (f"SELECT {SELECT}, i.thumbnail_png FROM readings r LEFT JOIN reading_images"
                     f" i ON i.reading_id = r.id{where}{sql.order(query)} LIMIT %s OFFSET %s")
        params += [max(0, int(query.limit)), max(0, int(query.offset))]

        def work(cur: Any) -> list[Reading]:
            cur.execute(statement, params)
            return [row_to_reading(r[:-1], (r[-1], None, None)) for r in cur.fetchall()]

        return self._read(work)

    def count(self, query: ReadingQuery | None = None) -> int:
        where, params = sql.where(query or ReadingQuery())

        def work(cur: Any) -> int:
            cur.execute(f"SELECT COUNT(*) FROM readings r{where}", params)
            return int(cur.fetchone()[0])

        return self._read(work)

    def update_review(
        self, reading_id: int, *, note: str | None = None,
        confirmed_label: str | None | Unset = UNSET, expected_version: int | None = None,
    ) -> Reading:
        def work(cur: Any) -> object:
            cur.execute("SELECT patient_id, patient_name, note, version FROM readings"
                        " WHERE id = %s FOR UPDATE", (int(reading_id),))
            row = cur.fetchone()
            if row is None:
                return None
            if expected_version is not None and int(row[3]) != int(expected_version):
                return _STALE
            new_note = row[2] if note is None else text(note)
            sets = ["reviewed_utc = %s::timestamptz", "note = %s", "version = version + 1",
                    "search_text = %s"]
            params: list[Any] = [utc_now_iso(), new_note, search_text(row[0], row[1], new_note)]
            if not isinstance(confirmed_label, Unset):
                sets.append("confirmed_label = %s")
                params.append(text(confirmed_label))
            cur.execute(f"UPDATE readings SET {', '.join(sets)} WHERE id = %s",
                        [*params, int(reading_id)])
            return True

        outcome = self._write(work)
        if outcome is _STALE:
            raise stale_review(self.get(reading_id), reading_id)
        log.info("clinic history: reading %d reviewed", reading_id)
        return self._changed(reading_id, outcome)

    def update_patient(
        self, reading_id: int, *, patient_id: str | None, patient_name: str | None
    ) -> Reading:
        patient_id, patient_name = text(patient_id), text(patient_name)

        def work(cur: Any) -> bool:
            cur.execute("SELECT note FROM readings WHERE id = %s FOR UPDATE", (int(reading_id),))
            row = cur.fetchone()
            if row is None:
                return False
            cur.execute("UPDATE readings SET patient_id = %s, patient_name = %s, search_text = %s"
                        " WHERE id = %s", (patient_id, patient_name,
                                           search_text(patient_id, patient_name, row[0]),
                                           int(reading_id)))
            return True

        changed = self._write(work)
        log.info("clinic history: patient details of reading %d changed", reading_id)
        return self._changed(reading_id, changed or None)

    def _changed(self, reading_id: int, outcome: object) -> Reading:
        reading = self.get(reading_id) if outcome else None
        if reading is None:
            raise StorageError(_(GONE), detail=f"reading {reading_id}")
        return reading

    def delete(self, reading_id: int) -> bool:
        def work(cur: Any) -> bool:
            cur.execute("DELETE FROM readings WHERE id = %s", (int(reading_id),))
            return cur.rowcount > 0

        deleted = self._write(work)
        if deleted:
            log.info("clinic history: reading %d deleted", reading_id)
        return deleted

    # -- snapshots and export ----------------------------------------------------------------

    def _snapshot(self, action: str) -> Any:
        if self._closed:
            raise StorageError(_("The reading history is closed."), detail=self.location)
        conn = connect(self.address, snapshot=True, action=action)
        self._check_schema(conn)
        return conn

    def iter_readings(self, query: ReadingQuery | None = None) -> Iterator[Reading]:
        import psycopg

        query = query or ReadingQuery(descending=False)
        where, params = sql.where(query)
        conn = self._snapshot("read")
        try:
            with conn.cursor(name="cxr_iter_readings") as cur:
                cur.itersize = 500
                cur.execute(f"SELECT {SELECT} FROM readings r{where}{sql.order(query)}", params)
                for row in cur:
                    yield row_to_reading(row)
            conn.commit()
        except psycopg.Error as exc:
            raise storage_error(exc, "read", self.location) from None
        finally:
            self._drop(conn)

    def export_csv(self, path: Path | str, query: ReadingQuery | None = None) -> int:
        import psycopg

        query = query or ReadingQuery(descending=False)
        target = Path(path)
        where, params = sql.where(query)
        conn = self._snapshot("export")
        try:
            labels: set[str] = set()
            with conn.cursor() as cur:
                cur.execute(f"SELECT DISTINCT json_object_keys(r.probabilities) FROM readings r"
                            f"{where}", params)
                labels.update(str(k) for (k,) in cur.fetchall())
            with conn.cursor(name="cxr_export") as cur:
                cur.itersize = 500
                cur.execute(f"SELECT {SELECT} FROM readings r{where}{sql.order(query)}", params)
                written = write_readings_csv(target, sorted(labels),
                                             (row_to_reading(r) for r in cur))
            conn.commit()
        except psycopg.Error as exc:
            raise storage_error(exc, "export", self.location) from None
        except OSError as exc:
            from cxr_desktop.core.storage.sqlite.errors import storage_error as file_error

            raise file_error(exc, "export", target) from exc
        finally:
            self._drop(conn)
        log.info("clinic history: %d readings exported", written)
        return written

    # -- issue 15: reading keys, accounts, audit trail (postgresql/clinic.py) -----------------

    def find_uid(self, uid: str) -> int | None:
        return self._read(lambda cur: clinic.find_uid(cur, uid))

    def save_account(self, account: Account) -> None:
        self._write(lambda cur: clinic.save_account(cur, account))

    def get_account(self, name: str) -> Account | None:
        return self._read(lambda cur: clinic.get_account(cur, name))

    def list_accounts(self) -> list[Account]:
        return self._read(clinic.list_accounts)

    def append_audit(self, event: AuditEvent) -> int:
        return self._write(lambda cur: clinic.append_audit(cur, event))

    def search_audit(self, query: AuditQuery | None = None) -> list[AuditEvent]:
        return self._read(lambda cur: clinic.search_audit(cur, query or AuditQuery()))

    # -- issue 12: site calibration profiles (postgresql/site_profiles.py) ---------------------

    def add_site_profile(self, profile: SiteProfile) -> SiteProfile:
        stored = self._write(lambda cur: site_profiles.add(cur, profile))
        log.info("clinic history: site calibration profile %d stored", stored.id)
        return stored

    def site_profiles(self) -> list[SiteProfile]:
        return self._read(site_profiles.fetch_all)

    def active_site_profile(self) -> SiteProfile | None:
        return self._read(site_profiles.fetch_active)

    def roll_back_site_profile(self, profile_id: int, *, by: str) -> SiteProfile:
        profile = self._write(lambda cur: site_profiles.roll_back(cur, profile_id, by))
        if profile is None:
            raise StorageError(_("This site calibration is not in use, so it cannot be rolled back."),
                               detail=f"profile {profile_id}")
        log.info("clinic history: site calibration profile %d rolled back", profile_id)
        return profile

    # -- issue 14: safeguards. A clinic server keeps its own integrity (PostgreSQL's WAL and
    # checksums) and is backed up on the server (pg_dump, docs/CLINIC_NETWORK.md): a PC makes
    # no copies of it and never replaces it from a file.

    def notices(self) -> list[StorageError]:
        return []

    def verify(self) -> list[StorageError]:
        return []

    def backup(self, folder: Path | str | None = None, reason: str = "manual") -> BackupInfo:
        raise BackupError(_(SERVER_BACKUPS), detail="backup of a clinic server from a PC")

    def backups(self, folder: Path | str | None = None) -> list[BackupInfo]:
        return []

    def restore(self, backup: BackupInfo | Path | str) -> BackupInfo:
        raise BackupError(_(SERVER_BACKUPS), detail="restore of a clinic server from a PC")

    # -- issue 11: an image read before (on any PC), the worklist (postgresql/dicom_facts.py) --

    def find_same_image(
        self, *, file_sha256: str | None = None, sop_instance_uid: str | None = None
    ) -> list[Reading]:
        return self._read(lambda cur: dicom_facts.find_same_image(cur, file_sha256,
                                                                  sop_instance_uid))

    def to_review(self, limit: int = 100, offset: int = 0) -> list[Reading]:
        return self._read(lambda cur: dicom_facts.to_review(cur, limit, offset))

    def count_to_review(self) -> int:
        return self._read(dicom_facts.count_to_review)
