"""The reading history, behind one protocol: ``HistoryStore``.

Use ``open_history()`` to get the history (the embedded SQLite file by default) and talk to it
only through ``HistoryStore``'s methods, with ``ReadingQuery`` to say what to list. Errors are
``StorageError`` (``core.errors``). ``reading_from_prediction`` turns a prediction into the
``Reading`` to store. Nothing here names a database engine; each backend lives in a subpackage
(``sqlite``) and passes the same contract tests (``tests/core/storage/contract.py``).
"""

from __future__ import annotations

from pathlib import Path

from cxr_desktop.core.storage.protocol import HistoryStore, StoreInfo
from cxr_desktop.core.storage.query import ORDERABLE_COLUMNS, UNSET, ReadingQuery, Unset
from cxr_desktop.core.storage.readings import (
    PREVIEW_MAX_SIDE,
    THUMBNAIL_MAX_SIDE,
    reading_from_prediction,
)
from cxr_desktop.core.storage.times import normalize_utc, utc_now_iso

__all__ = [
    "ORDERABLE_COLUMNS",
    "PREVIEW_MAX_SIDE",
    "THUMBNAIL_MAX_SIDE",
    "UNSET",
    "HistoryStore",
    "ReadingQuery",
    "StoreInfo",
    "Unset",
    "normalize_utc",
    "open_history",
    "reading_from_prediction",
    "utc_now_iso",
]


def open_history(location: Path | str | None = None) -> HistoryStore:
    """The reading history at ``location`` (a file path; None: the user's default history; a
    ``postgresql://`` URL: a clinic server). Raises StorageError (or NewerDatabaseError) when
    it cannot be used."""
    if isinstance(location, str) and location.lower().startswith(("postgresql:", "postgres:")):
        from cxr_desktop.core.storage.postgresql import PostgresHistory  # issue 15

        return PostgresHistory(location)
    from cxr_desktop.core.storage.sqlite import SqliteHistory

    return SqliteHistory(location)
