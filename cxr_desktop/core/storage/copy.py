"""Copying a history into another one (``cxr-desktop history migrate --to``): every reading
with its images and review, each verified by a checksum of everything stored, resumable (a
reading already there, by its ``uid``, is checked, not copied again) and the source only read.
Backend-neutral: works from any ``HistoryStore`` into any other."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from cxr_desktop.core.storage.protocol import HistoryStore
from cxr_desktop.core.storage.query import ReadingQuery
from cxr_desktop.core.types import Reading

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
    from cxr_desktop.core.storage.copy_site_profiles import copy_site_profiles

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
