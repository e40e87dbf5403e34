"""Opening the history file: checks that write nothing, the connection and its PRAGMAs, and the
read-only fallback for a folder that cannot be written.

Durability: WAL journal with ``synchronous=FULL``: a row is on disk when ``add`` returns, even
across a power cut (``NORMAL`` in WAL mode may lose the last transactions).
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from pathlib import Path

from cxr_desktop.core.errors import NewerDatabaseError, StorageError
from cxr_desktop.core.storage import schema
from cxr_desktop.core.storage.query import _fold
from cxr_desktop.core.storage.sqlite_errors import _PREFIX, _is_busy, _storage_error
from cxr_desktop.private_files import make_private_dir, tighten_sqlite

log = logging.getLogger("cxr_desktop.core.storage")

BUSY_TIMEOUT_MS = 10_000
SQLITE_MAGIC = b"SQLite format 3\x00"


def _newer_database(path: Path, version: int) -> NewerDatabaseError:
    return NewerDatabaseError(
        "The reading history was saved by a newer version of CXR Desktop. "
        "Please install the newer version to use it; the history has been left untouched.",
        detail=f"{path}: user_version {version} > {schema.SCHEMA_VERSION}",
    )


def _prepare_folder(path: Path) -> None:
    """Create the history's folder; refuse a folder or other item in the file's place."""
    folder = path.parent
    try:
        make_private_dir(folder)  # 0700 when created
    except OSError as exc:
        raise _storage_error(exc, "open", folder) from exc
    if path.exists() and not path.is_file():
        raise StorageError(
            f"{_PREFIX['open']}: its place on disk is taken by a folder or another item.",
            detail=str(path),
        )


def _check_file(path: Path) -> None:
    """Refuse a non-database or a newer database without writing a single byte to it."""
    if not path.exists():
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise _storage_error(exc, "open", path) from exc
    if head and head != SQLITE_MAGIC:
        raise StorageError(
            f"{_PREFIX['open']}: the history file is damaged or is not a CXR Desktop history file.",
            detail=f"{path}: bad SQLite header {head!r}",
        )
    if not head:
        return  # an empty file is an empty database
    version = _read_user_version(path)
    if version > schema.SCHEMA_VERSION:
        raise _newer_database(path, version)


def _read_user_version(path: Path) -> int:
    """user_version through a read-only connection (opening it writes nothing)."""
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise _storage_error(exc, "open", path) from exc
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise _storage_error(exc, "open", path) from exc
    finally:
        conn.close()


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


def _connect(path: Path) -> sqlite3.Connection:
    """A read-write connection: autocommit, WAL, ``synchronous=FULL``, foreign keys on."""
    try:
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # autocommit: we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise _storage_error(exc, "open", path) from exc
    tighten_sqlite(path)  # 0600 before -wal/-shm exist: SQLite gives them the file's mode
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
        raise _storage_error(exc, "open", path) from exc
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """The history on a read-only folder. A WAL database needs its -shm file, which cannot be
    created there, so the last resort is ``immutable`` (nothing can change the file anyway)."""
    message = (
        f"{_PREFIX['open']}: the folder is read-only or you do not have permission to write "
        "there."
    )
    if not path.is_file():
        raise StorageError(message, detail=f"{path}: no history file in a read-only folder")
    error: sqlite3.Error | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?{options}", uri=True,
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
        if version > schema.SCHEMA_VERSION:
            conn.close()
            raise _newer_database(path, version)
        if version < schema.SCHEMA_VERSION:  # it would have to be updated, which needs writing
            conn.close()
            raise StorageError(message, detail=f"{path}: schema v{version}, read-only")
        log.info("history opened read-only (%s): the folder cannot be written", options)
        return conn
    raise StorageError(message, detail=f"{path}: {type(error).__name__}: {error}")
