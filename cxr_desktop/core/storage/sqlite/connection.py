"""Opening the history file: the connection and its PRAGMAs, and the read-only fallback for a
folder that cannot be written. The checks made before connecting are in ``opening``.

The file is only ever opened through SQLite: closing any other handle on it would drop every
POSIX lock this process holds on it (fcntl locks belong to the process), and another process
could then take itself for the last user of the history and delete its write-ahead log.

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
from cxr_desktop.core.storage.sqlite import schema
from cxr_desktop.core.storage.sqlite.errors import (
    NO_PERMISSION,
    PLACE_TAKEN,
    is_busy,
    sentences,
    storage_error,
)
from cxr_desktop.core.storage.sqlite.integrity import check_at_open, is_damage
from cxr_desktop.core.storage.sqlite.sql import sql_search_text
from cxr_desktop.i18n import _
from cxr_desktop.private_files import make_private_dir, tighten_sqlite

log = logging.getLogger("cxr_desktop.core.storage")

BUSY_TIMEOUT_MS = 10_000


def newer_database(path: Path, version: int) -> NewerDatabaseError:
    return NewerDatabaseError(
        _("The reading history was saved by a newer version of CXR Desktop. "
          "Please install the newer version to use it; the history has been left untouched."),
        detail=f"{path}: user_version {version} > {schema.SCHEMA_VERSION}",
    )


def prepare_folder(path: Path) -> None:
    """Create the history's folder; refuse a folder or other item in the file's place."""
    folder = path.parent
    try:
        make_private_dir(folder)  # 0700 when created
    except OSError as exc:
        raise storage_error(exc, "open", folder) from exc
    if path.exists() and not path.is_file():
        raise StorageError(sentences("open", PLACE_TAKEN), detail=str(path))


def enable_wal(conn: sqlite3.Connection) -> str:
    """Switch to the WAL journal, retrying while another process holds the lock.

    SQLite may answer "database is locked" at once here, without waiting for busy_timeout (two
    processes creating the same new history at the same moment), so the wait is ours.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + random.random() * 0.05)


def add_functions(conn: sqlite3.Connection) -> None:
    """The application functions the schema's queries and migrations use."""
    conn.create_function("cxr_search_text", 3, sql_search_text, deterministic=True)


def connect(path: Path) -> sqlite3.Connection:
    """A read-write connection: autocommit, WAL, ``synchronous=FULL``, foreign keys on."""
    try:
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # autocommit: we issue BEGIN IMMEDIATE / COMMIT ourselves
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise storage_error(exc, "open", path) from exc
    tighten_sqlite(path)  # 0600 before -wal/-shm exist: SQLite gives them the file's mode
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = enable_wal(conn)
        if str(mode).lower() != "wal":
            log.warning("history: WAL journal not available (journal_mode=%s)", mode)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        add_functions(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise storage_error(exc, "open", path) from exc
    return conn


def connect_read_only(path: Path) -> sqlite3.Connection:
    """The history on a read-only folder. A WAL database needs its -shm file, which cannot be
    created there, so the last resort is ``immutable`` (nothing can change the file anyway)."""
    message = sentences("open", NO_PERMISSION)
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
            add_functions(conn)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute("SELECT COUNT(*) FROM readings").fetchone()
            damaged = check_at_open(conn).ok is False
        except sqlite3.Error as exc:
            conn.close()
            if is_damage(exc):
                raise _damaged_read_only(path, exc) from exc
            error = exc
            continue
        if damaged:
            conn.close()
            raise _damaged_read_only(path, "quick_check")
        if version > schema.SCHEMA_VERSION:
            conn.close()
            raise newer_database(path, version)
        if version < schema.SCHEMA_VERSION:  # it would have to be updated, which needs writing
            conn.close()
            raise StorageError(message, detail=f"{path}: schema v{version}, read-only")
        log.info("history opened read-only (%s): the folder cannot be written", options)
        return conn
    raise StorageError(message, detail=f"{path}: {type(error).__name__}: {error}")


def _damaged_read_only(path: Path, why: object) -> StorageError:
    from cxr_desktop.core.storage.safeguards import DamagedHistoryError
    from cxr_desktop.core.storage.sqlite.opening import DAMAGED_READ_ONLY

    return DamagedHistoryError(_(DAMAGED_READ_ONLY), detail=f"{path}: {why}")
