"""The site calibration last known from the clinic server, kept on this PC (issues 12 and 15).

Issue 12: no reading is made before the app knows which site calibration is in use. Issue 15:
readings go on being made while the server cannot be reached. So each time the server says which
profile is active, this PC keeps that answer (``<outbox>-site-profile.json`` next to the queue,
private, 0600); while the server cannot be reached, new readings use the profile as last known
and the app says so. A PC that has never had that answer from its server cannot know the
clinic's calibration: its readings are refused until it has reached the server once.

The answer belongs to one server: a file written for another address is not used.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage import utc_now_iso
from cxr_desktop.core.storage.times import parse_iso
from cxr_desktop.private_files import write_private

log = logging.getLogger(__name__)

FORMAT = 1
#: An unchanged answer is written again at most this often (only its time changes).
REWRITE_AFTER_S = 300.0


@dataclass(frozen=True)
class KnownProfile:
    """Which profile the clinic server says is active (None: none), and since when."""

    profile: SiteProfile | None
    seen_utc: str  # when the server last said so
    live: bool  # True: the server said so just now; False: as last known on this PC


def _profile_from(value: Any) -> SiteProfile | None:
    if value is None:
        return None
    names = {f.name for f in dataclasses.fields(SiteProfile)}
    if not isinstance(value, dict) or set(value) != names:
        raise ValueError("not a site profile")
    profile = SiteProfile(**value)
    if not (isinstance(profile.id, int) and isinstance(profile.offsets, dict)
            and float(profile.temperature) > 0 and isinstance(profile.model_sha256, str)):
        raise ValueError("not a site profile")
    return profile


class SiteProfileCache:
    """Thread-safe; ``path`` None keeps the answer in memory only."""

    def __init__(self, path: Path | None, location: str) -> None:
        self.path = path
        self.location = location
        self._lock = threading.Lock()
        self._known: KnownProfile | None = self._load()

    def _load(self) -> KnownProfile | None:
        if self.path is None or not self.path.is_file():
            return None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("location") != self.location:
                log.info("site calibration last known: kept for another clinic database, unused")
                return None
            parse_iso(str(data["seen_utc"]))
            return KnownProfile(_profile_from(data["profile"]), str(data["seen_utc"]), False)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("site calibration last known: file unreadable, not used")
            return None

    def last_known(self) -> KnownProfile | None:
        """The server's last answer, as kept on this PC (in memory: no file or network)."""
        with self._lock:
            return self._known

    def remember(self, profile: SiteProfile | None) -> KnownProfile:
        """The server just said ``profile`` is active: keep it; returns the live answer."""
        now = utc_now_iso()
        with self._lock:
            old = self._known
            self._known = KnownProfile(profile, now, False)
            if old is None or old.profile != profile or _age_s(old.seen_utc) > REWRITE_AFTER_S:
                self._write(self._known)
        return KnownProfile(profile, now, True)

    def forget(self) -> None:
        """Nothing is known any more (a rollback whose outcome the server did not confirm)."""
        with self._lock:
            self._known = None
            if self.path is not None:
                try:
                    self.path.unlink(missing_ok=True)
                except OSError:
                    log.warning("site calibration last known: file not removed", exc_info=True)

    def _write(self, known: KnownProfile) -> None:
        if self.path is None:
            return
        data = {"format": FORMAT, "location": self.location, "seen_utc": known.seen_utc,
                "profile": None if known.profile is None else dataclasses.asdict(known.profile)}
        try:
            write_private(self.path, json.dumps(data, ensure_ascii=False, allow_nan=False))
        except (OSError, ValueError):
            log.warning("site calibration last known: not written", exc_info=True)


def _age_s(iso: str) -> float:
    try:
        moment = parse_iso(iso)
    except ValueError:
        return float("inf")
    if not isinstance(moment, datetime):
        return float("inf")
    return (datetime.now(timezone.utc) - moment).total_seconds()
