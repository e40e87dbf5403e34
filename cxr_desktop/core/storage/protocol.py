"""``HistoryStore``: everything the app may ask of the reading history, whatever holds it.

The embedded SQLite file (``storage.sqlite.SqliteHistory``) is one implementation; a shared
clinic server can be another. Code outside ``core.storage`` only ever sees this protocol, gets an
instance from ``storage.open_history()`` and catches ``StorageError`` (whose ``message`` is for
people and whose ``detail`` is for the log). Every backend passes ``tests/core/storage/contract.py``.

Rules every implementation keeps:
  * ``add`` returns once the reading is durably stored, and assigns a new id; a stored reading is
    never rewritten except by ``update_review`` / ``update_patient``, which change only those
    fields, and ``delete``.
  * methods are thread-safe; a slow write (another process holding the lock) never blocks reads
    made from another thread;
  * ``search`` returns thumbnails but not the large images; ``get`` returns everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery
from cxr_desktop.core.storage.query import UNSET, ReadingQuery, Unset
from cxr_desktop.core.storage.safeguards import BackupInfo
from cxr_desktop.core.types import Reading


@dataclass(frozen=True)
class StoreInfo:
    """What a person may want to know about where the history is kept."""

    backend: str  # "sqlite", ...
    location: str  # a file path or a server address, without any password
    schema_version: int
    read_only: bool


@runtime_checkable
class HistoryStore(Protocol):
    """The reading history. Use as a context manager or call ``close()``."""

    @property
    def read_only(self) -> bool:
        """True when readings can be listed and shown but not saved (e.g. a read-only disk)."""
        ...

    def info(self) -> StoreInfo: ...

    def add(self, reading: Reading) -> int:
        """Store a reading (its ``id`` is ignored); returns the new id once it is durable."""
        ...

    def get(self, reading_id: int) -> Reading | None:
        """One reading with its preview, heatmap and thumbnail, or None."""
        ...

    def search(self, query: ReadingQuery | None = None) -> list[Reading]:
        """One page of readings (``query.limit``/``offset``), with thumbnails only."""
        ...

    def count(self, query: ReadingQuery | None = None) -> int:
        """How many readings match (limit/offset are ignored)."""
        ...

    def iter_readings(self, query: ReadingQuery | None = None) -> Iterator[Reading]:
        """Every reading matching ``query`` (all pages, default oldest first), without images,
        from one consistent snapshot. Close the iterator (or exhaust it) promptly."""
        ...

    def update_review(
        self, reading_id: int, *, note: str | None = None,
        confirmed_label: str | None | Unset = UNSET, expected_version: int | None = None,
    ) -> Reading:
        """The clinician's note (None = keep) and confirmed label (UNSET = keep, None = clear);
        ``reviewed_utc`` becomes now and ``version`` goes up by one. Raises StorageError when the
        reading is gone, StaleReviewError (with the stored reading) when ``expected_version`` is
        given and is not the stored version: someone reviewed it since it was shown."""
        ...

    def update_patient(
        self, reading_id: int, *, patient_id: str | None, patient_name: str | None
    ) -> Reading:
        """Correct the patient fields (None clears); raises StorageError when it is gone."""
        ...

    def delete(self, reading_id: int) -> bool:
        """Remove a reading and its images; False when there was none with that id."""
        ...

    def export_csv(self, path: Path | str, query: ReadingQuery | None = None) -> int:
        """Write every matching reading (default: all, oldest first) to a CSV file, atomically;
        returns the number of rows."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> HistoryStore: ...

    def __exit__(self, *exc_info: object) -> None: ...

    # -- issue 15: shared clinic database (idempotent saves), accounts, audit trail ----------
    # ``add`` is idempotent by ``Reading.uid``: a reading whose uid is already stored is not
    # stored again, and ``add`` returns the id it already has.

    def find_uid(self, uid: str) -> int | None:
        """The id of the reading with this ``uid``, or None."""
        ...

    def save_account(self, account: Account) -> None:
        """Create the account, or replace the one with the same name (case-insensitive)."""
        ...

    def get_account(self, name: str) -> Account | None: ...

    def list_accounts(self) -> list[Account]: ...

    def append_audit(self, event: AuditEvent) -> int:
        """Add one event (``at_utc`` now when empty); returns its id. Events cannot be changed."""
        ...

    def search_audit(self, query: AuditQuery | None = None) -> list[AuditEvent]: ...

    # -- issue 12: site calibration profiles (never deleted; rolling back stamps one) -------

    def add_site_profile(self, profile: SiteProfile) -> SiteProfile:
        """Store a signed-off profile (its ``id`` and rollback fields are ignored); returns it
        with its new id. It becomes the active profile."""
        ...

    def site_profiles(self) -> list[SiteProfile]:
        """Every profile ever stored, newest first, rolled back ones included."""
        ...

    def active_site_profile(self) -> SiteProfile | None:
        """The newest profile that was not rolled back (whatever model it was made for)."""
        ...

    def roll_back_site_profile(self, profile_id: int, *, by: str) -> SiteProfile:
        """Mark an active profile rolled back by ``by`` (now); the previous one, if any, becomes
        active again. Raises StorageError when there is no such active profile."""

    # -- issue 14: a damaged or lost history is never used; backups --------------------------

    def notices(self) -> list[StorageError]:
        """Problems found and dealt with since the last call, each to be told to the person
        once (a damaged file set aside and replaced by what could be saved; journal files
        deleted by another program). Cheap: the window asks now and then. A problem that stops
        saving is also raised by every later write."""
        ...

    def verify(self) -> list[StorageError]:
        """A full integrity check of the stored history (slow: a minute for gigabytes; never on
        the GUI thread). Returns the problems found (and keeps them as notices); a damaged
        history is repaired when that is safe, otherwise saving stops."""
        ...

    def backup(self, folder: Path | str | None = None, reason: str = "manual") -> BackupInfo:
        """A verified copy of the whole history in ``folder`` (None: the history's backup
        folder), kept in rotation; it neither blocks saves nor reads for long. Raises
        StorageError (BackupError)."""
        ...

    def backups(self, folder: Path | str | None = None) -> list[BackupInfo]:
        """The backups in ``folder`` (None: the history's backup folder), newest first."""
        ...

    def restore(self, backup: BackupInfo | Path | str) -> BackupInfo:
        """Replace the history with a verified backup; the history as it was is kept as a backup
        first (returned). Every open connection sees the restored history."""
        ...
