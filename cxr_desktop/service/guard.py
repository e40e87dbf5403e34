"""``GuardedHistory``: the history as the person signed in may use it (issue 15). Every call is
checked against their role (``service.accounts``) and what they do is written to the audit
trail: each view of a reading, save, review, patient correction, deletion and export, and
(issue 12) each site calibration fitted, signed off or rolled back and each quality view; the
use cases made of several calls (a fit, the quality figures) ask ``authorize`` first. Reading
which site calibration is in use is everyone's: every new reading needs it. With accounts off
it only passes calls through.

Issue 11: a reading imported from media or a watched folder is a save (``add``), a review from
the worklist or the command line a review; a reading's report (PDF or printed) needs the right
to read it and is recorded as ``report`` (``service.report.record_reports``); the period summary
lists every patient referred in a period, so it is an export (``service.summary``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cxr_desktop.core.errors import StaleReviewError, StorageError
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage import ReadingQuery, StoreInfo
from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery
from cxr_desktop.core.storage.query import UNSET, Unset
from cxr_desktop.core.storage.safeguards import BackupInfo
from cxr_desktop.core.types import Reading
from cxr_desktop.service.accounts import (
    AUDIT,
    CALIBRATE,
    DELETE,
    EXPORT,
    MANAGE_ACCOUNTS,
    READ,
    REVIEW,
    SAVE,
    StaffSession,
)


class GuardedHistory:
    """A ``HistoryStore`` in front of ``session.store``."""

    def __init__(self, session: StaffSession) -> None:
        self.session = session
        self.inner = session.store

    def __getattr__(self, name: str):  # status(), flush() of a queueing history
        return getattr(self.inner, name)

    @property
    def read_only(self) -> bool:
        return self.inner.read_only

    def info(self) -> StoreInfo:
        return self.inner.info()

    def add(self, reading: Reading) -> int:
        self.session.require(SAVE)
        new_id = self.inner.add(reading)
        self.session.record("save", new_id, reading.uid)
        return new_id

    def get(self, reading_id: int) -> Reading | None:
        self.session.require(READ, reading_id)
        reading = self.inner.get(reading_id)
        if reading is not None:
            self.session.record("view", reading_id, reading.uid)
        return reading

    def search(self, query: ReadingQuery | None = None) -> list[Reading]:
        self.session.require(READ)
        return self.inner.search(query)

    def count(self, query: ReadingQuery | None = None) -> int:
        self.session.require(READ)
        return self.inner.count(query)

    def iter_readings(self, query: ReadingQuery | None = None) -> Iterator[Reading]:
        self.session.require(READ)
        return self.inner.iter_readings(query)

    def update_review(self, reading_id: int, *, note: str | None = None,
                      confirmed_label: str | None | Unset = UNSET,
                      expected_version: int | None = None) -> Reading:
        self.session.require(REVIEW, reading_id)
        try:
            updated = self.inner.update_review(reading_id, note=note,
                                               confirmed_label=confirmed_label,
                                               expected_version=expected_version)
        except StaleReviewError as exc:  # someone reviewed it meanwhile: refused, kept on record
            newer = exc.current
            self.session.record("stale_review", reading_id, getattr(newer, "uid", None),
                                f"seen version {expected_version}, stored "
                                f"{getattr(newer, 'version', '?')}")
            raise
        finding = updated.confirmed_label or "-"
        self.session.record("review", reading_id, updated.uid,
                            f"version {updated.version}, confirmed: {finding}")
        return updated

    def update_patient(self, reading_id: int, *, patient_id: str | None,
                       patient_name: str | None) -> Reading:
        self.session.require(REVIEW, reading_id)
        updated = self.inner.update_patient(reading_id, patient_id=patient_id,
                                            patient_name=patient_name)
        self.session.record("edit_patient", reading_id, updated.uid)
        return updated

    def delete(self, reading_id: int) -> bool:
        self.session.require(DELETE, reading_id)
        uid = None
        if self.session.accounts_enabled():
            before = self.inner.get(reading_id)
            uid = before.uid if before is not None else None
        deleted = self.inner.delete(reading_id)
        if deleted:
            self.session.record("delete", reading_id, uid)
        return deleted

    def export_csv(self, path: Path | str, query: ReadingQuery | None = None) -> int:
        self.session.require(EXPORT)
        written = self.inner.export_csv(path, query)
        self.session.record("export", detail=f"{written} readings")
        return written

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> GuardedHistory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def find_uid(self, uid: str) -> int | None:
        self.session.require(READ)
        return self.inner.find_uid(uid)

    def save_account(self, account: Account) -> None:
        if self.session.accounts_enabled():
            self.session.require(MANAGE_ACCOUNTS)
        self.inner.save_account(account)

    def get_account(self, name: str) -> Account | None:
        return self.inner.get_account(name)

    def list_accounts(self) -> list[Account]:
        self.session.require(MANAGE_ACCOUNTS)
        return self.inner.list_accounts()

    def append_audit(self, event: AuditEvent) -> int:
        return self.inner.append_audit(event)

    def search_audit(self, query: AuditQuery | None = None) -> list[AuditEvent]:
        self.session.require(AUDIT)
        return self.inner.search_audit(query)

    # -- issue 12: site calibration (a supervisor's; reading the active one is everyone's) -----

    def active_site_profile(self) -> SiteProfile | None:
        return self.inner.active_site_profile()

    def site_profiles(self) -> list[SiteProfile]:
        self.session.require(CALIBRATE)
        return self.inner.site_profiles()

    def add_site_profile(self, profile: SiteProfile) -> SiteProfile:
        self.session.require(CALIBRATE)
        stored = self.inner.add_site_profile(profile)
        self.session.record("calibrate", detail=f"signed off site calibration #{stored.id} "
                            f"(model {stored.model_version}, {stored.n_readings} confirmed "
                            f"readings, uncertain below {stored.uncertain_below:.4f}), signed by "
                            f"{stored.signed_by}")
        return stored

    def roll_back_site_profile(self, profile_id: int, *, by: str) -> SiteProfile:
        self.session.require(CALIBRATE)
        undone = self.inner.roll_back_site_profile(profile_id, by=by)
        self.session.record("calibrate", detail=f"rolled back site calibration #{undone.id}, "
                            f"by {undone.rolled_back_by}")
        return undone

    # -- issue 11: an image read before, the worklist: lists, like search (views are recorded
    # when a reading is opened; reports and summaries by ``authorize`` in their use cases) ------

    def find_same_image(self, *, file_sha256: str | None = None,
                        sop_instance_uid: str | None = None) -> list[Reading]:
        self.session.require(READ)
        return self.inner.find_same_image(file_sha256=file_sha256,
                                          sop_instance_uid=sop_instance_uid)

    def to_review(self, limit: int = 100, offset: int = 0) -> list[Reading]:
        self.session.require(READ)
        return self.inner.to_review(limit, offset)

    def count_to_review(self) -> int:
        self.session.require(READ)
        return self.inner.count_to_review()

    # -- issue 14: safeguards. Problems and checks are for everyone; a backup copies every
    # patient (an export), restoring replaces the history (like deleting): a supervisor's.

    def notices(self) -> list[StorageError]:
        return self.inner.notices()

    def verify(self) -> list[StorageError]:
        return self.inner.verify()

    def backup(self, folder: Path | str | None = None, reason: str = "manual") -> BackupInfo:
        if reason == "manual":  # the daily and pre-update copies are the app's own
            self.session.require(EXPORT)
        made = self.inner.backup(folder, reason)
        if reason == "manual":
            self.session.record("export", detail=f"backup of {made.readings} readings")
        return made

    def backups(self, folder: Path | str | None = None) -> list[BackupInfo]:
        return self.inner.backups(folder)

    def restore(self, backup: BackupInfo | Path | str) -> BackupInfo:
        self.session.require(DELETE)
        aside = self.inner.restore(backup)
        self.session.record("delete", detail="history replaced by a backup; the previous one kept")
        return aside


def authorize(store: object, permission: str, action: str, detail: str = "",
              reading_id: int | None = None, reading_uid: str | None = None) -> None:
    """For a use case made of several calls (fitting a site calibration, the quality figures,
    issue 11's reports and summaries): the person signed in must have ``permission``
    (PermissionDeniedError, recorded, if not), and the use is recorded as ``action``. A store
    without a guard (accounts are not in play) passes."""
    if isinstance(store, GuardedHistory):
        store.session.require(permission, reading_id)
        store.session.record(action, reading_id, reading_uid, detail)


def require(store: object, permission: str) -> None:
    """Only the check of ``authorize`` (before a use case that is recorded once it is done)."""
    if isinstance(store, GuardedHistory):
        store.session.require(permission)
