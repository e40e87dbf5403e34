"""Site calibration profiles in ``history migrate`` (issue 12 on issue 15's copy): the PC's
profiles go to the server first, oldest first, so that the same one is active there and each
copied reading names the server's id of the profile that produced it.

The server's profiles are what every PC of the clinic uses, so they are only ever added to when
they are exactly the copies of this history's first ones (none yet, or an interrupted earlier
run of the same copy); a server with site calibrations of its own is refused, before anything
is copied. A rollback is copied as a rollback by the same person (its time is the copy's: the
store stamps it).
"""

from __future__ import annotations

import dataclasses

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.protocol import HistoryStore
from cxr_desktop.i18n import ngettext


def _signed_off(profile: SiteProfile) -> SiteProfile:
    """What was signed off, without where it is stored or whether it was rolled back."""
    return dataclasses.replace(profile, id=None, rolled_back_utc=None, rolled_back_by=None)


def copy_site_profiles(source: HistoryStore, target: HistoryStore) -> tuple[dict[int, int], int]:
    """(this history's profile id -> the target's, how many were copied now)."""
    mine = list(reversed(source.site_profiles()))  # oldest first
    theirs = list(reversed(target.site_profiles()))
    if len(theirs) > len(mine) or any(_signed_off(m) != _signed_off(t)
                                      for m, t in zip(mine, theirs)):
        raise StorageError(ngettext(
            "The clinic database already has site calibrations of its own, so this history's "
            "{count} site calibration cannot be moved there (the clinic's would change). Nothing "
            "was copied. Ask a supervisor: the readings can be moved after the clinic has chosen "
            "one calibration.",
            "The clinic database already has site calibrations of its own, so this history's "
            "{count} site calibrations cannot be moved there (the clinic's would change). "
            "Nothing was copied. Ask a supervisor: the readings can be moved after the clinic "
            "has chosen one calibration.", len(mine)).format(count=len(mine)),
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
