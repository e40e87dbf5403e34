"""Site calibration profiles on the clinic server (issue 12): the ``site_profiles`` table, the
twin of ``sqlite/site_profiles.py`` with the same answers.

Profiles are never deleted or edited: rolling one back stamps it (time and name), and the
active profile is the newest one (highest id) not rolled back. The PCs' role may only add
profiles and stamp those two columns (``schema.GRANTS``). Two PCs rolling back the same profile
at once: one ``UPDATE ... WHERE rolled_back_utc IS NULL`` wins, the other changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.postgresql.rows import text
from cxr_desktop.core.storage.times import normalize_utc, utc_now_iso

COLUMNS = ("id", "created_utc", "model_name", "model_version", "model_sha256", "temperature",
           "offsets", "uncertain_below", "n_readings", "signed_by", "fit", "rolled_back_utc",
           "rolled_back_by")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM site_profiles"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return utc_now_iso(value) if isinstance(value, datetime) else normalize_utc(str(value))


def row_to_profile(row: tuple[Any, ...]) -> SiteProfile:
    v = dict(zip(COLUMNS, row, strict=True))
    offsets = v["offsets"] if isinstance(v["offsets"], dict) else {}
    return SiteProfile(
        id=int(v["id"]), created_utc=_iso(v["created_utc"]) or "", model_name=v["model_name"],
        model_version=v["model_version"], model_sha256=v["model_sha256"],
        temperature=float(v["temperature"]),
        offsets={str(k): float(x) for k, x in offsets.items()},
        uncertain_below=float(v["uncertain_below"]), n_readings=int(v["n_readings"]),
        signed_by=v["signed_by"], fit=v["fit"] if isinstance(v["fit"], dict) else {},
        rolled_back_utc=_iso(v["rolled_back_utc"]), rolled_back_by=v["rolled_back_by"],
    )


def add(cur: Any, profile: SiteProfile) -> SiteProfile:
    """Store a new profile; returns it as stored (with its id)."""
    values = (
        normalize_utc(profile.created_utc), text(profile.model_name), text(profile.model_version),
        profile.model_sha256.lower(), float(profile.temperature),
        json.dumps({str(k): float(x) for k, x in profile.offsets.items()}),
        float(profile.uncertain_below), int(profile.n_readings), text(profile.signed_by),
        json.dumps(profile.fit, ensure_ascii=False, allow_nan=False),
    )
    cur.execute(
        "INSERT INTO site_profiles (created_utc, model_name, model_version, model_sha256,"
        " temperature, offsets, uncertain_below, n_readings, signed_by, fit)"
        " VALUES (%s::timestamptz, %s, %s, %s, %s, %s::json, %s, %s, %s, %s::json)"
        f" RETURNING {', '.join(COLUMNS)}", values)
    return row_to_profile(cur.fetchone())


def roll_back(cur: Any, profile_id: int, by: str) -> SiteProfile | None:
    """Stamp one active profile as rolled back and return it; None when there is no active
    profile with that id."""
    cur.execute(
        "UPDATE site_profiles SET rolled_back_utc = %s::timestamptz, rolled_back_by = %s"
        f" WHERE id = %s AND rolled_back_utc IS NULL RETURNING {', '.join(COLUMNS)}",
        (utc_now_iso(), text(by), int(profile_id)))
    row = cur.fetchone()
    return None if row is None else row_to_profile(row)


def fetch_all(cur: Any) -> list[SiteProfile]:
    cur.execute(f"{SELECT} ORDER BY id DESC")
    return [row_to_profile(r) for r in cur.fetchall()]


def fetch_active(cur: Any) -> SiteProfile | None:
    cur.execute(f"{SELECT} WHERE rolled_back_utc IS NULL ORDER BY id DESC LIMIT 1")
    row = cur.fetchone()
    return None if row is None else row_to_profile(row)
