"""The embedded SQLite implementation of ``HistoryStore``.

Modules: ``history`` (SqliteHistory: connections and the API), ``connection`` (opening the file),
``transaction`` (the write transaction), ``schema`` (SQL, MIGRATIONS), ``sql`` (ReadingQuery ->
SQL), ``rows`` (row <-> Reading), ``errors`` (-> StorageError). Only ``SqliteHistory`` is meant
for use outside this package (tests of SQLite-specific behaviour); the app uses
``storage.open_history()``.
"""

from __future__ import annotations

from cxr_desktop.core.storage.sqlite.history import SqliteHistory

__all__ = ["SqliteHistory"]
