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
from cxr_desktop.core.storage.safeguards import (
    BackupError,
    BackupInfo,
    DamagedHistoryError,
    HistoryMissingError,
    JournalVanishedError,
    reason_text,
)
from cxr_desktop.core.storage.times import normalize_utc, utc_now_iso

__all__ = [
    "BackupError",
    "BackupInfo",
    "DamagedHistoryError",
    "HistoryMissingError",
    "JournalVanishedError",
    "default_backup_folder",
    "list_backups",
    "reason_text",
    "restore_history",
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


def open_history(location: Path | str | None = None, backup_folder: Path | str | None = None,
                 *, new_if_missing: bool = False) -> HistoryStore:
    """The reading history at ``location`` (a file path; None: the user's default history), with
    its backups in ``backup_folder`` (None: beside it). Raises StorageError (or
    NewerDatabaseError) when it cannot be used; ``HistoryMissingError`` when its file is lost but
    its journal or backups are not, unless ``new_if_missing`` (the person chose to start anew).
    A ``postgresql://`` URL opens a clinic server (issue 15)."""
    if isinstance(location, str) and location.lower().startswith(("postgresql:", "postgres:")):
        from cxr_desktop.core.storage.postgresql import PostgresHistory

        return PostgresHistory(location)
    from cxr_desktop.core.storage.sqlite import SqliteHistory

    return SqliteHistory(location, backup_folder, new_if_missing=new_if_missing)


# -- issue 14: backups without an open history (its file is missing) ---------------------------


def _file(location: Path | str | None) -> Path:
    from cxr_desktop import paths

    return Path(location) if location is not None else paths.database_path()


def default_backup_folder(location: Path | str | None = None) -> Path:
    """Where the backups of the history at ``location`` go unless the person chose a folder."""
    from cxr_desktop.core.storage.sqlite.backup import default_folder

    return default_folder(_file(location))


def list_backups(folder: Path | str) -> list[BackupInfo]:
    """The backups in ``folder``, newest first (readable without opening the history)."""
    from cxr_desktop.core.storage.sqlite.backup import list_backups as listing

    return listing(Path(folder))


def restore_history(location: Path | str | None, backup: BackupInfo | Path | str,
                    backup_folder: Path | str | None = None
                    ) -> tuple[HistoryStore, BackupInfo | None]:
    """Restore ``backup``; returns the history, open, and the backup of the history as it was
    (None when its file was missing). Into the open history when it can be opened, else in the
    place of its missing or empty file. Raises StorageError."""
    from cxr_desktop.core.storage.sqlite import SqliteHistory
    from cxr_desktop.core.storage.sqlite.opening import restore_lost

    path = _file(location)
    folder = Path(backup_folder) if backup_folder is not None else default_backup_folder(path)
    source = backup if isinstance(backup, BackupInfo) else Path(backup)
    try:
        store = SqliteHistory(path, folder)
    except HistoryMissingError:
        restore_lost(path, source, folder)
        return SqliteHistory(path, folder), None
    try:
        aside = store.restore(source)
    except BaseException:
        store.close()
        raise
    return store, aside
