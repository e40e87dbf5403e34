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

Modules: ``history`` (History: the connection and the API), ``connection`` (opening the
file), ``transaction`` (the write transaction), ``schema`` (SQL, MIGRATIONS), ``query``
(ReadingQuery -> SQL), ``rows`` (row <-> Reading), ``export`` (CSV), ``sqlite_errors``
(-> StorageError), ``times`` (UTC timestamps), ``readings`` (Prediction -> Reading). Import from
this package, not from its modules.
"""

from __future__ import annotations

from cxr_desktop.core.storage.connection import BUSY_TIMEOUT_MS, SQLITE_MAGIC
from cxr_desktop.core.storage.history import History
from cxr_desktop.core.storage.query import ORDERABLE_COLUMNS, UNSET, ReadingQuery
from cxr_desktop.core.storage.query import _Unset as _Unset
from cxr_desktop.core.storage.readings import (
    PREVIEW_MAX_SIDE,
    THUMBNAIL_MAX_SIDE,
    reading_from_prediction,
)
from cxr_desktop.core.storage.schema import _COLUMNS as _COLUMNS
from cxr_desktop.core.storage.schema import MIGRATIONS, SCHEMA_VERSION, SQL_V1
from cxr_desktop.core.storage.sqlite_errors import _storage_error as _storage_error
from cxr_desktop.core.storage.times import normalize_utc, utc_now_iso
from cxr_desktop.core.storage.transaction import WRITE_ATTEMPTS

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "ORDERABLE_COLUMNS",
    "PREVIEW_MAX_SIDE",
    "SCHEMA_VERSION",
    "SQLITE_MAGIC",
    "SQL_V1",
    "THUMBNAIL_MAX_SIDE",
    "UNSET",
    "WRITE_ATTEMPTS",
    "History",
    "ReadingQuery",
    "normalize_utc",
    "reading_from_prediction",
    "utc_now_iso",
]
