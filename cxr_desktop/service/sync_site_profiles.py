"""Site calibration profiles through ``QueueingHistory`` (issue 12 on issue 15's clinic server).

* Which profile is active is the server's answer, kept on this PC each time it is given
  (``site_profile_cache``). While the server cannot be reached that answer, as last known, is
  used (``known_site_profile().live`` is False, and the app says so); a PC that has never had it
  refuses readings until it has reached the server once (no reading before the profile is known).
* Signing a profile off or rolling one back changes what every PC of the clinic uses, so it is
  done on the server only: while it cannot be reached they are refused with a clear message,
  nothing is queued.
* The list of profiles is the server's (nothing is listed offline).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cxr_desktop.core.errors import DatabaseUnreachableError
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.i18n import N_, _
from cxr_desktop.service.site_profile_cache import KnownProfile, SiteProfileCache

T = TypeVar("T")

UNKNOWN_OFFLINE = N_("The clinic database cannot be reached, and this PC has not yet learned from "
                     "it which site calibration the clinic uses (it learns that the first time it "
                     "reaches the clinic database).")
SIGN_OFF_OFFLINE = N_("The clinic database cannot be reached, so the site calibration cannot be "
                      "signed off now: every PC of the clinic must use the same one. Try again "
                      "when the clinic database is back.")
ROLL_BACK_OFFLINE = N_("The clinic database cannot be reached, so the site calibration cannot be "
                       "rolled back now: every PC of the clinic must use the same one. Try again "
                       "when the clinic database is back.")
LIST_OFFLINE = N_("The clinic database cannot be reached, so its site calibrations cannot be "
                  "listed now.")


class ClinicSiteProfiles:
    """The HistoryStore's site profile methods of ``QueueingHistory`` (its ``_server`` and
    ``site_cache``)."""

    site_cache: SiteProfileCache
    _server: Callable[..., Any]

    def _on_server(self, work: Callable[[Any], T], offline_message: str) -> T:
        try:
            return self._server(work)
        except DatabaseUnreachableError as exc:
            raise DatabaseUnreachableError(_(offline_message), detail=exc.detail) from None

    def known_site_profile(self) -> KnownProfile:
        """The active profile: the server's answer now, else the one last known on this PC.
        Raises DatabaseUnreachableError when neither is there."""
        try:
            profile = self._server(lambda s: s.active_site_profile())
        except DatabaseUnreachableError as exc:
            known = self.site_cache.last_known()
            if known is None:
                raise DatabaseUnreachableError(_(UNKNOWN_OFFLINE), detail=exc.detail) from None
            return known
        return self.site_cache.remember(profile)

    def last_known_site_profile(self) -> KnownProfile | None:
        """The server's last answer as kept on this PC, without asking anyone (in memory)."""
        return self.site_cache.last_known()

    def active_site_profile(self) -> SiteProfile | None:
        return self.known_site_profile().profile

    def site_profiles(self) -> list[SiteProfile]:
        return self._on_server(lambda s: s.site_profiles(), LIST_OFFLINE)

    def add_site_profile(self, profile: SiteProfile) -> SiteProfile:
        stored = self._on_server(lambda s: s.add_site_profile(profile), SIGN_OFF_OFFLINE)
        self.site_cache.remember(stored)  # it is the active one now
        return stored

    def roll_back_site_profile(self, profile_id: int, *, by: str) -> SiteProfile:
        undone = self._on_server(lambda s: s.roll_back_site_profile(profile_id, by=by),
                                 ROLL_BACK_OFFLINE)
        self.site_cache.forget()  # never the rolled-back one offline, whatever happens next
        try:
            self.known_site_profile()  # which one is active now
        except DatabaseUnreachableError:
            pass
        return undone
