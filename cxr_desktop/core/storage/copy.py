"""Copying a history into another one (``cxr-desktop history migrate --to``): every reading
with its images and review, each verified by a checksum of everything stored, resumable (a
reading already there, by its ``uid``, is checked, not copied again) and the source only read.
Backend-neutral: works from any ``HistoryStore`` into any other.

Site calibration profiles (issue 12) go first, oldest first, so that the same one is active on
the target and each copied reading names the target's id of the profile that produced it. The
target's profiles are what every PC of the clinic uses, so they are only ever added to when they
are exactly the copies of the source's first ones (none yet, or an interrupted earlier run); a
target with site calibrations of its own is refused before anything is copied. A rollback is
copied as a rollback by the same person (its time is the copy's: the store stamps it)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.protocol import HistoryStore
from cxr_desktop.core.storage.query import ReadingQuery
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import ngettext

#: Keys for readings stored before keys existed: derived from what cannot change, so a resumed
#: copy derives the same one.
LEGACY_NAMESPACE = uuid.UUID("6f1d3a52-2b1e-4f0e-9a8e-4d5c1b7e0c15")


@dataclass
class CopyReport:
    total: int = 0  # readings in the source
    copied: int = 0  # stored in the target by this run
    already_there: int = 0  # found in the target (an earlier, interrupted run)
    verified: int = 0  # target copy identical to the source (checksum)
    mismatched: list[int] = field(default_factory=list)  # source ids whose copy differs
    accounts: int = 0
    site_profiles: int = 0  # issue 12: site calibrations copied by this run

    @property
    def ok(self) -> bool:
        return not self.mismatched and self.verified == self.total


def reading_key(reading: Reading) -> str:
    if reading.uid:
        return reading.uid
    basis = f"{reading.created_utc}|{reading.file_sha256}|{reading.model_sha256}|{reading.id}"
    return str(uuid.uuid5(LEGACY_NAMESPACE, basis))


def checksum(reading: Reading) -> str:
    """sha256 of every stored field and image, without the id (which the target chooses)."""
    values = dataclasses.asdict(dataclasses.replace(reading, id=None))
    digest = hashlib.sha256()
    for name in sorted(values):
        value = values[name]
        if isinstance(value, bytes):
            digest.update(f"{name}:bytes:{len(value)}:".encode())
            digest.update(value)
        else:
            digest.update(f"{name}:{json.dumps(value, sort_keys=True, default=str)}".encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def copy_history(source: HistoryStore, target: HistoryStore,
                 progress: Callable[[CopyReport], None] | None = None) -> CopyReport:
    report = CopyReport()
    # issue 12: the profiles first (refused before anything is copied when the target has its
    # own); each reading then names the target's id of its profile
    profile_ids, report.site_profiles = copy_site_profiles(source, target)
    ids = [int(r.id or 0) for r in source.iter_readings(ReadingQuery(order_by="id",
                                                                     descending=False))]
    report.total = len(ids)
    for source_id in ids:
        original = source.get(source_id)
        if original is None:  # deleted meanwhile (another window)
            report.total -= 1
            continue
        keyed = dataclasses.replace(original, uid=reading_key(original))
        if keyed.site_profile_id is not None:
            keyed = dataclasses.replace(keyed, site_profile_id=profile_ids.get(
                keyed.site_profile_id, keyed.site_profile_id))
        existing = target.find_uid(keyed.uid or "")
        if existing is None:
            target_id = target.add(dataclasses.replace(keyed, id=None))
            report.copied += 1
        else:
            target_id = existing
            report.already_there += 1
        copied = target.get(target_id)
        if copied is not None and checksum(copied) == checksum(keyed):
            report.verified += 1
        else:
            report.mismatched.append(source_id)
        if progress is not None and (report.copied + report.already_there) % 100 == 0:
            progress(report)
    for account in source.list_accounts():
        if target.get_account(account.name) is None:
            target.save_account(account)
            report.accounts += 1
    return report


# -- issue 12: site calibration profiles ---------------------------------------------------


def _signed_off(profile: SiteProfile) -> SiteProfile:
    """What was signed off, without where it is stored or whether it was rolled back."""
    return dataclasses.replace(profile, id=None, rolled_back_utc=None, rolled_back_by=None)


def copy_site_profiles(source: HistoryStore, target: HistoryStore) -> tuple[dict[int, int], int]:
    """(this history's profile id -> the target's, how many were copied now)."""
    mine = list(reversed(source.site_profiles()))  # oldest first
    if not mine:  # nothing to copy, nothing any reading refers to
        return {}, 0
    theirs = list(reversed(target.site_profiles()))
    if len(theirs) > len(mine) or any(_signed_off(m) != _signed_off(t)
                                      for m, t in zip(mine, theirs)):
        raise StorageError(ngettext(
            "The clinic database already has site calibrations of its own, and this history has "
            "{count} of its own, so it cannot be moved there without changing the calibration "
            "the clinic uses. Nothing was copied; the history on this PC is left as it was.",
            "The clinic database already has site calibrations of its own, and this history has "
            "{count} of its own, so it cannot be moved there without changing the calibration "
            "the clinic uses. Nothing was copied; the history on this PC is left as it was.",
            len(mine)).format(count=len(mine)),
            detail=f"{len(mine)} local profiles, {len(theirs)} on the target")
    mapping: dict[int, int] = {}
    copied = 0
    for index, profile in enumerate(mine):
        if index < len(theirs):
            there = theirs[index]
        else:
            there = target.add_site_profile(profile)
            copied += 1
        if profile.rolled_back_utc is not None and there.rolled_back_utc is None:
            there = target.roll_back_site_profile(int(there.id or 0),
                                                  by=profile.rolled_back_by or "")
        mapping[int(profile.id or 0)] = int(there.id or 0)
    return mapping, copied
