"""The reading history: one SQLite file (stdlib sqlite3) in the user data folder.

Durability and concurrency:
  * WAL journal with ``synchronous=FULL``: a row is on disk when ``add`` returns, even across a
    power cut (``NORMAL`` in WAL mode may lose the last transactions).
  * Every write is a ``BEGIN IMMEDIATE`` transaction with a 10 s busy timeout and a few retries,
    so two windows or a CLI run writing at the same time wait for each other instead of failing.
  * One connection per ``History``, shared by threads under a lock (the GUI calls it from a worker
    thread and the GUI thread). ``export_csv`` reads through its own connection so a long export
    never blocks the GUI.

Schema: versioned with ``PRAGMA user_version`` and the ordered list ``MIGRATIONS`` (never edit an
old entry, append a new one). A file written by a newer app is refused with NewerDatabaseError
before anything is written to it.

The images live in ``reading_images`` (one row per reading, deleted with it) so that listing and
searching 100,000 readings never pages the large preview/heatmap blobs in.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import logging
import math
import os
import random
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from cxr_desktop import paths
from cxr_desktop.core.errors import NewerDatabaseError, StorageError
from cxr_desktop.core.types import OOD_LABEL, Prediction, Reading, XrayImage

log = logging.getLogger(__name__)

T = TypeVar("T")

PREVIEW_MAX_SIDE = 512
THUMBNAIL_MAX_SIDE = 96
BUSY_TIMEOUT_MS = 10_000
WRITE_ATTEMPTS = 5
SQLITE_MAGIC = b"SQLite format 3\x00"

# ---------------------------------------------------------------------------------------------
# Schema. Each entry is one migration, applied in its own transaction; entry i brings the file
# from user_version i to i + 1. NEVER edit an entry that has shipped: append a new one.
# ---------------------------------------------------------------------------------------------

SQL_V1 = """
CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    created_utc TEXT NOT NULL,
    patient_id TEXT,
    patient_name TEXT,
    source_path TEXT,
    file_sha256 TEXT,
    file_format TEXT,
    width INTEGER,
    height INTEGER,
    probabilities TEXT NOT NULL,
    label TEXT NOT NULL,
    uncertain INTEGER NOT NULL,
    out_of_distribution INTEGER NOT NULL,
    ood_score REAL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    inference_ms REAL,
    note TEXT NOT NULL DEFAULT '',
    confirmed_label TEXT,
    reviewed_utc TEXT
);
CREATE TABLE reading_images (
    reading_id INTEGER PRIMARY KEY REFERENCES readings(id) ON DELETE CASCADE,
    thumbnail_png BLOB,
    preview_png BLOB,
    heatmap_png BLOB
);
CREATE INDEX readings_created_utc ON readings(created_utc);
CREATE INDEX readings_patient_id ON readings(patient_id);
CREATE INDEX readings_label ON readings(label, created_utc);
CREATE INDEX readings_reviewed ON readings((reviewed_utc IS NOT NULL), created_utc);
"""

MIGRATIONS: list[str] = [SQL_V1]
SCHEMA_VERSION = len(MIGRATIONS)

#: Columns of ``readings`` in the order the queries select them.
_COLUMNS = (
    "id",
    "created_utc",
    "patient_id",
    "patient_name",
    "source_path",
    "file_sha256",
    "file_format",
    "width",
    "height",
    "probabilities",
    "label",
    "uncertain",
    "out_of_distribution",
    "ood_score",
    "model_name",
    "model_version",
    "model_sha256",
    "inference_ms",
    "note",
    "confirmed_label",
    "reviewed_utc",
)
_SELECT = ", ".join(f"r.{c}" for c in _COLUMNS)

#: What ``ReadingQuery.order_by`` may name.
ORDERABLE_COLUMNS = frozenset(
    {
        "id",
        "created_utc",
        "patient_id",
        "patient_name",
        "source_path",
        "file_format",
        "label",
        "ood_score",
        "inference_ms",
        "confirmed_label",
        "reviewed_utc",
        "model_version",
    }
)

#: Text columns of the CSV export (guarded against spreadsheet formula injection).
_CSV_HEAD = (
    "id",
    "created_utc",
    "patient_id",
    "patient_name",
    "source_path",
    "file_sha256",
    "file_format",
    "width",
    "height",
    "label",
)
_CSV_TAIL = (
    "uncertain",
    "out_of_distribution",
    "ood_score",
    "model_name",
    "model_version",
    "model_sha256",
    "inference_ms",
    "note",
    "confirmed_label",
    "reviewed_utc",
)


class _Unset:
    """Marker for 'leave this field as it is' (``None`` means 'clear it')."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset()


@dataclass(frozen=True)
class ReadingQuery:
    """What to list. Dates are ISO dates or datetimes in UTC (naive = UTC), both ends inclusive."""

    text: str = ""  # case-insensitive substring of patient_id, patient_name or note
    label: str | None = None  # the model's label (OOD_LABEL for 'not a chest X-ray')
    date_from: str | None = None
    date_to: str | None = None
    reviewed: bool | None = None
    order_by: str = "created_utc"
    descending: bool = True
    limit: int = 100
    offset: int = 0


# ---------------------------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------------------------


def utc_now_iso(now: datetime | None = None) -> str:
    """``now`` (default: the current time) as ISO 8601 UTC with microseconds, e.g.
    ``2026-11-26T18:25:00.123456+00:00``. A naive datetime is taken to be UTC."""
    moment = now if now is not None else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _parse_iso(value: str) -> datetime | date:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def normalize_utc(value: str) -> str:
    """Any ISO 8601 date/datetime -> the canonical stored form (UTC, microseconds)."""
    try:
        parsed = _parse_iso(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from exc
    if not isinstance(parsed, datetime):
        parsed = datetime(parsed.year, parsed.month, parsed.day)
    return utc_now_iso(parsed)


def _date_bound(value: str, upper: bool) -> tuple[str, str]:
    """SQL operator and canonical timestamp for an inclusive date_from/date_to."""
    try:
        parsed = _parse_iso(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from exc
    if isinstance(parsed, datetime):
        return ("<=" if upper else ">="), utc_now_iso(parsed)
    start = datetime(parsed.year, parsed.month, parsed.day, tzinfo=timezone.utc)
    if upper:  # the whole day is included: everything before the next midnight
        return "<", utc_now_iso(start + timedelta(days=1))
    return ">=", utc_now_iso(start)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


def _enable_wal(conn: sqlite3.Connection) -> str:
    """Switch to the WAL journal, retrying while another process holds the lock.

    SQLite may answer "database is locked" at once here, without waiting for busy_timeout (two
    processes creating the same new history at the same moment), so the wait is ours.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + random.random() * 0.05)


def _row_to_reading(row: tuple[Any, ...], images: tuple[Any, ...] = (None, None, None)) -> Reading:
    values = dict(zip(_COLUMNS, row, strict=True))
    try:
        probabilities = {str(k): float(v) for k, v in json.loads(values["probabilities"]).items()}
    except (TypeError, ValueError, AttributeError):
        log.warning("reading %s has unreadable probabilities", values["id"])
        probabilities = {}
    thumbnail, preview, heatmap = images
    return Reading(
        id=int(values["id"]),
        created_utc=values["created_utc"],
        source_path=values["source_path"],
        file_sha256=values["file_sha256"],
        file_format=values["file_format"],
        width=values["width"],
        height=values["height"],
        probabilities=probabilities,
        label=values["label"],
        uncertain=bool(values["uncertain"]),
        out_of_distribution=bool(values["out_of_distribution"]),
        ood_score=values["ood_score"],
        model_name=values["model_name"],
        model_version=values["model_version"],
        model_sha256=values["model_sha256"],
        patient_id=values["patient_id"],
        patient_name=values["patient_name"],
        preview_png=None if preview is None else bytes(preview),
        heatmap_png=None if heatmap is None else bytes(heatmap),
        thumbnail_png=None if thumbnail is None else bytes(thumbnail),
        inference_ms=values["inference_ms"],
        note=values["note"] or "",
        confirmed_label=values["confirmed_label"],
        reviewed_utc=values["reviewed_utc"],
    )


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _split_sql(script: str) -> list[str]:
    """A migration script -> its statements (``executescript`` would commit our transaction)."""
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        statements.append(buffer.strip())
    return statements


def _where(query: ReadingQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    text = query.text.strip()
    if text:
        if text.isascii():
            # LIKE is case-insensitive for ASCII and runs in C; escape its wildcards.
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            columns = ("r.patient_id", "r.patient_name", "r.note")
            clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")")
            params.extend([pattern] * len(columns))
        else:
            # Non-ASCII (e.g. accented names): Unicode case folding in Python, one call per row
            # (the fields joined by a unit separator nobody types).
            haystack = (
                "coalesce(r.patient_id, '') || char(31) || coalesce(r.patient_name, '')"
                " || char(31) || r.note"
            )
            clauses.append(f"instr(cxr_fold({haystack}), ?) > 0")
            params.append(text.casefold())
    if query.label is not None:
        clauses.append("r.label = ?")
        params.append(query.label)
    if query.date_from:
        op, bound = _date_bound(query.date_from, upper=False)
        clauses.append(f"r.created_utc {op} ?")
        params.append(bound)
    if query.date_to:
        op, bound = _date_bound(query.date_to, upper=True)
        clauses.append(f"r.created_utc {op} ?")
        params.append(bound)
    if query.reviewed is not None:
        # Matches the expression index readings_reviewed (reviewed?, created_utc).
        clauses.append("(r.reviewed_utc IS NOT NULL) = ?")
        params.append(1 if query.reviewed else 0)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _order(query: ReadingQuery) -> str:
    if query.order_by not in ORDERABLE_COLUMNS:
        raise ValueError(f"cannot order readings by {query.order_by!r}")
    direction = "DESC" if query.descending else "ASC"
    return f" ORDER BY r.{query.order_by} {direction}, r.id {direction}"


def _fold(value: Any) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def _csv_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


# ---------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------


class History:
    """The reading history. Thread-safe; use as a context manager or call ``close()``."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else paths.database_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        #: True when the folder cannot be written (read-only disk or network share): the
        #: readings can still be listed and shown; saving raises StorageError.
        self.read_only = False
        self._prepare_folder()
        try:
            self._check_file()
            self._conn = self._connect()
        except NewerDatabaseError:
            raise
        except StorageError:
            if os.access(self.path.parent, os.W_OK):
                raise
            self._conn = self._connect_read_only()
            self.read_only = True
        try:
            if not self.read_only:
                self._migrate()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        log.info("history opened (schema v%d)", SCHEMA_VERSION)

    # -- opening ---------------------------------------------------------------------------

    def _prepare_folder(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _storage_error(exc, "open", folder) from exc
        if self.path.exists() and not self.path.is_file():
            raise StorageError(
                f"{_PREFIX['open']}: its place on disk is taken by a folder or another item.",
                detail=str(self.path),
            )

    def _check_file(self) -> None:
        """Refuse a non-database or a newer database without writing a single byte to it."""
        if not self.path.exists():
            return
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise _storage_error(exc, "open", self.path) from exc
        if head and head != SQLITE_MAGIC:
            raise StorageError(
                f"{_PREFIX['open']}: the history file is damaged or is not a CXR Desktop history file.",
                detail=f"{self.path}: bad SQLite header {head!r}",
            )
        if not head:
            return  # an empty file is an empty database
        version = self._read_user_version()
        if version > SCHEMA_VERSION:
            raise NewerDatabaseError(
                "The reading history was saved by a newer version of CXR Desktop. "
                "Please install the newer version to use it; the history has been left untouched.",
                detail=f"{self.path}: user_version {version} > {SCHEMA_VERSION}",
            )

    def _read_user_version(self) -> int:
        """user_version through a read-only connection (opening it writes nothing)."""
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise _storage_error(exc, "open", self.path) from exc
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise _storage_error(exc, "open", self.path) from exc
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                str(self.path),
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: we issue BEGIN IMMEDIATE / COMMIT ourselves
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise _storage_error(exc, "open", self.path) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = _enable_wal(conn)
            if str(mode).lower() != "wal":
                log.warning("history: WAL journal not available (journal_mode=%s)", mode)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.create_function("cxr_fold", 1, _fold, deterministic=True)
        except sqlite3.Error as exc:
            conn.close()
            raise _storage_error(exc, "open", self.path) from exc
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        """The history on a read-only folder. A WAL database needs its -shm file, which cannot be
        created there, so the last resort is ``immutable`` (nothing can change the file anyway)."""
        message = (
            f"{_PREFIX['open']}: the folder is read-only or you do not have permission to write "
            "there."
        )
        if not self.path.is_file():
            raise StorageError(message, detail=f"{self.path}: no history file in a read-only folder")
        error: sqlite3.Error | None = None
        for options in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?{options}", uri=True,
                    isolation_level=None, check_same_thread=False,
                )
            except sqlite3.Error as exc:
                error = exc
                continue
            try:
                conn.create_function("cxr_fold", 1, _fold, deterministic=True)
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                conn.execute("SELECT COUNT(*) FROM readings").fetchone()
            except sqlite3.Error as exc:
                conn.close()
                error = exc
                continue
            if version > SCHEMA_VERSION:
                conn.close()
                raise NewerDatabaseError(
                    "The reading history was saved by a newer version of CXR Desktop. "
                    "Please install the newer version to use it; the history has been left untouched.",
                    detail=f"{self.path}: user_version {version} > {SCHEMA_VERSION}",
                )
            if version < SCHEMA_VERSION:  # it would have to be updated, which needs writing
                conn.close()
                raise StorageError(message, detail=f"{self.path}: schema v{version}, read-only")
            log.info("history opened read-only (%s): the folder cannot be written", options)
            return conn
        raise StorageError(message, detail=f"{self.path}: {type(error).__name__}: {error}")

    def _migrate(self) -> None:
        conn = self._require()
        for target in range(1, SCHEMA_VERSION + 1):

            def step(cur: sqlite3.Cursor, target: int = target) -> None:
                # Re-read inside the write lock: another process may have migrated meanwhile.
                current = int(cur.execute("PRAGMA user_version").fetchone()[0])
                if current > SCHEMA_VERSION:
                    raise NewerDatabaseError(
                        "The reading history was saved by a newer version of CXR Desktop. "
                        "Please install the newer version to use it.",
                        detail=f"{self.path}: user_version {current} > {SCHEMA_VERSION}",
                    )
                if current >= target:
                    return
                for statement in _split_sql(MIGRATIONS[target - 1]):
                    cur.execute(statement)
                cur.execute(f"PRAGMA user_version = {target}")
                log.info("history migrated to schema v%d", target)

            try:
                current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            except sqlite3.Error as exc:
                raise _storage_error(exc, "open", self.path) from exc
            if current >= target and current <= SCHEMA_VERSION:
                continue
            self._write(step, action="open")

    # -- plumbing --------------------------------------------------------------------------

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError("The reading history is closed.", detail=str(self.path))
        return self._conn

    def _write(self, work: Callable[[sqlite3.Cursor], T], action: str = "save") -> T:
        """Run ``work`` in one BEGIN IMMEDIATE transaction; retry while another writer holds it."""
        with self._lock:
            conn = self._require()
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                cur = conn.cursor()
                try:
                    cur.execute("BEGIN IMMEDIATE")
                    result = work(cur)
                    cur.execute("COMMIT")
                    return result
                except sqlite3.Error as exc:
                    self._rollback(conn)
                    if _is_busy(exc) and attempt < WRITE_ATTEMPTS:
                        log.info("history busy, retrying (attempt %d)", attempt)
                        time.sleep(0.05 * attempt)
                        continue
                    raise _storage_error(exc, action, self.path) from exc
                except BaseException:
                    self._rollback(conn)
                    raise
                finally:
                    cur.close()
            raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.warning("history: rollback failed", exc_info=True)

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
        created = normalize_utc(reading.created_utc)
        reviewed = normalize_utc(reading.reviewed_utc) if reading.reviewed_utc else None
        values = (
            created,
            reading.patient_id,
            reading.patient_name,
            reading.source_path,
            reading.file_sha256,
            reading.file_format,
            reading.width,
            reading.height,
            json.dumps({str(k): float(v) for k, v in reading.probabilities.items()}),
            reading.label,
            int(bool(reading.uncertain)),
            int(bool(reading.out_of_distribution)),
            _finite(reading.ood_score),
            reading.model_name,
            reading.model_version,
            reading.model_sha256,
            _finite(reading.inference_ms),
            reading.note or "",
            reading.confirmed_label,
            reviewed,
        )
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
        params.append(int(reading_id))

        def work(cur: sqlite3.Cursor) -> int:
            cur.execute(f"UPDATE readings SET {', '.join(sets)} WHERE id = ?", params)
            return cur.rowcount

        with self._lock:
            if self._write(work) != 1:
                raise StorageError(
                    "This reading is no longer in the history.", detail=f"reading {reading_id}"
                )
            reading = self.get(reading_id)
        if reading is None:  # pragma: no cover - deleted by another process in between
            raise StorageError("This reading is no longer in the history.", detail=f"reading {reading_id}")
        log.info("history: reading %d reviewed", reading_id)
        return reading

    def update_patient(
        self, reading_id: int, *, patient_id: str | None, patient_name: str | None
    ) -> Reading:
        """Correct the patient fields of a stored reading (None clears a field); the id, time and
        review are kept. Raises StorageError if the reading is gone."""

        def work(cur: sqlite3.Cursor) -> int:
            cur.execute(
                "UPDATE readings SET patient_id = ?, patient_name = ? WHERE id = ?",
                (patient_id, patient_name, int(reading_id)),
            )
            return cur.rowcount

        with self._lock:
            if self._write(work) != 1:
                raise StorageError(
                    "This reading is no longer in the history.", detail=f"reading {reading_id}"
                )
            reading = self.get(reading_id)
        if reading is None:  # pragma: no cover - deleted by another process in between
            raise StorageError("This reading is no longer in the history.", detail=f"reading {reading_id}")
        log.info("history: patient details of reading %d changed", reading_id)
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
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        # A separate connection: one consistent snapshot, and the GUI's writes are not blocked.
        conn = self._connect_read_only() if self.read_only else self._connect()
        try:
            conn.execute("BEGIN")
            labels: set[str] = set()
            for (probs,) in conn.execute(f"SELECT r.probabilities FROM readings r{where}", params):
                try:
                    labels.update(str(k) for k in json.loads(probs))
                except (TypeError, ValueError):
                    continue
            label_columns = sorted(labels)
            rows = conn.execute(f"SELECT {_SELECT} FROM readings r{where}{order}", params)
            written = self._write_csv(tmp, target, label_columns, rows)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise _storage_error(exc, "export", self.path) from exc
        except OSError as exc:
            raise _storage_error(exc, "export", target) from exc
        finally:
            conn.close()
            if tmp.exists():
                try:
                    tmp.unlink()
                except OSError:
                    log.warning("could not remove %s", tmp)
        log.info("history: %d readings exported", written)
        return written

    @staticmethod
    def _write_csv(
        tmp: Path, target: Path, labels: list[str], rows: Iterator[tuple[Any, ...]]
    ) -> int:
        header = [*_CSV_HEAD, *(f"p_{label}" for label in labels), *_CSV_TAIL]
        written = 0
        # utf-8 with BOM so spreadsheet programs show accented names correctly.
        with open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                values = dict(zip(_COLUMNS, row, strict=True))
                try:
                    probs = json.loads(values["probabilities"])
                except (TypeError, ValueError):
                    probs = {}
                line = [_csv_cell(values[c]) for c in _CSV_HEAD]
                line += [probs.get(label, "") for label in labels]
                for column in _CSV_TAIL:
                    value = values[column]
                    if column in ("uncertain", "out_of_distribution"):
                        value = int(bool(value))
                    line.append(_csv_cell(value))
                writer.writerow(line)
                written += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        return written


# ---------------------------------------------------------------------------------------------
# Prediction -> Reading
# ---------------------------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return img.size


def reading_from_prediction(
    image: XrayImage,
    prediction: Prediction,
    patient_id: str | None = None,
    patient_name: str | None = None,
    now: datetime | None = None,
) -> Reading:
    """What the history stores for one prediction: previews as PNG, label or OOD_LABEL, etc."""
    import numpy as np

    from cxr_desktop.core.imaging import encode_png

    preview = encode_png(image.display, PREVIEW_MAX_SIDE)
    thumbnail = encode_png(image.display, THUMBNAIL_MAX_SIDE)
    heatmap_png = None
    if prediction.heatmap is not None:
        heat = np.asarray(prediction.heatmap)
        if heat.dtype != np.uint8:
            heat = np.clip(heat, 0, 255).astype(np.uint8)
        if heat.shape != image.display.shape:
            from PIL import Image

            heat = np.asarray(
                Image.fromarray(heat, mode="L").resize(
                    (image.width, image.height), Image.Resampling.BILINEAR
                )
            )
        heatmap_png = encode_png(heat, PREVIEW_MAX_SIDE)
        if _png_size(heatmap_png) != _png_size(preview):  # pragma: no cover - defensive
            from PIL import Image

            size = _png_size(preview)
            small = Image.fromarray(heat, mode="L").resize(size, Image.Resampling.BILINEAR)
            heatmap_png = encode_png(np.asarray(small), max(size))
    meta = image.metadata
    return Reading(
        id=None,
        created_utc=utc_now_iso(now),
        source_path=image.source_path,
        file_sha256=image.sha256,
        file_format=meta.format,
        width=meta.width,
        height=meta.height,
        probabilities=prediction.probability_by_label,
        label=OOD_LABEL if prediction.out_of_distribution else prediction.label,
        uncertain=prediction.uncertain,
        out_of_distribution=prediction.out_of_distribution,
        ood_score=prediction.ood_score,
        model_name=prediction.model_name,
        model_version=prediction.model_version,
        model_sha256=prediction.model_sha256,
        patient_id=patient_id if patient_id is not None else meta.patient_id,
        patient_name=patient_name if patient_name is not None else meta.patient_name,
        preview_png=preview,
        heatmap_png=heatmap_png,
        thumbnail_png=thumbnail,
        inference_ms=prediction.total_ms,
    )
