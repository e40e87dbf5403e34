"""What keeps the history safe, in words every backend shares: the problems it can report and its
backups (issue 14).

* ``DamagedHistoryError``: the history file failed its integrity check. It was set aside (never
  written again) and what could be read was saved into a new history.
* ``HistoryMissingError``: the history file is missing or empty while its journal or backups
  still exist; no new empty history was made over it.
* ``JournalVanishedError``: the history's journal files were deleted while it was in use.

They are ``StorageError`` subclasses: raised when the history cannot be used, or kept by the store
as *notices* (``HistoryStore.notices()``) when the problem was dealt with and the person only has
to be told. ``message`` is for people, ``detail`` for the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cxr_desktop.core.errors import StorageError
from cxr_desktop.i18n import N_, _


class DamagedHistoryError(StorageError):
    """The history file is damaged. ``set_aside``: where the damaged file now is (or None);
    ``saved``/``lost``: readings kept in the new history / known to be beyond recovery."""

    def __init__(self, message: str, *, detail: str | None = None, set_aside: Path | None = None,
                 saved: int = 0, lost: int = 0) -> None:
        super().__init__(message, detail=detail)
        self.set_aside = set_aside
        self.saved = saved
        self.lost = lost


class HistoryMissingError(StorageError):
    """The history file is missing or empty, but its journal or backups exist."""


class JournalVanishedError(StorageError):
    """The history's journal (``-wal``/``-shm``) was deleted while the history was open."""


class BackupError(StorageError):
    """A backup could not be made, verified or restored."""


#: Raised rather than falling back to a read-only history.
SAFEGUARD_ERRORS = (DamagedHistoryError, HistoryMissingError, JournalVanishedError)

#: Why a backup was made (stored in its manifest; shown translated).
DAILY = "daily"
MANUAL = "manual"
BEFORE_MIGRATION = "before-migration"
BEFORE_RESTORE = "before-restore"
RECOVERED = "recovered"
RESCUED = "rescued"

REASON_TEXT = {
    DAILY: N_("Daily backup"),
    MANUAL: N_("Backup made by hand"),
    BEFORE_MIGRATION: N_("Before an update of the history"),
    BEFORE_RESTORE: N_("The history as it was before a restore"),
    RECOVERED: N_("Readings recovered from a damaged history"),
    RESCUED: N_("Readings rescued after its journal was deleted"),
}


def reason_text(reason: str) -> str:
    """The reason a backup was made, in the current language."""
    return _(REASON_TEXT[reason]) if reason in REASON_TEXT else reason


@dataclass(frozen=True)
class BackupInfo:
    """One verified copy of the history."""

    path: Path
    taken_utc: str  # ISO 8601 UTC
    readings: int
    reason: str  # DAILY, MANUAL, ...
    schema_version: int
    size_bytes: int
    #: readings per table at the time of the copy (what the verification compared)
    table_rows: dict[str, int] = field(default_factory=dict)
