"""Site calibration profiles in SQLite (issue 12): the ``site_profiles`` table.

Profiles are never deleted or edited: rolling one back stamps it (time and name), and the
active profile is the newest one not rolled back.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.times import normalize_utc, utc_now_iso

log = logging.getLogger("cxr_desktop.core.storage")

COLUMNS = ("id", "created_utc", "model_name", "model_version", "model_sha256", "temperature",
           "offsets", "uncertain_below", "n_readings", "signed_by", "fit", "rolled_back_utc",
           "rolled_back_by")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM site_profiles"


def _json(text: Any, default: Any) -> Any:
    try:
        value = json.loads(text) if text is not None else default
    except (TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


def row_to_profile(row: tuple[Any, ...]) -> SiteProfile:
    v = dict(zip(COLUMNS, row, strict=True))
    offsets = _json(v["offsets"], {})
    return SiteProfile(
        id=int(v["id"]), created_utc=v["created_utc"], model_name=v["model_name"],
        model_version=v["model_version"], model_sha256=v["model_sha256"],
        temperature=float(v["temperature"]),
        offsets={str(k): float(x) for k, x in offsets.items()},
        uncertain_below=float(v["uncertain_below"]), n_readings=int(v["n_readings"]),
        signed_by=v["signed_by"], fit=_json(v["fit"], {}),
        rolled_back_utc=v["rolled_back_utc"], rolled_back_by=v["rolled_back_by"],
    )


def insert(cur: sqlite3.Cursor, profile: SiteProfile) -> int:
    values = (
        normalize_utc(profile.created_utc), profile.model_name, profile.model_version,
        profile.model_sha256.lower(), float(profile.temperature),
        json.dumps({str(k): float(x) for k, x in profile.offsets.items()}),
        float(profile.uncertain_below), int(profile.n_readings), profile.signed_by,
        json.dumps(profile.fit, ensure_ascii=False, allow_nan=False),
    )
    cur.execute(
        "INSERT INTO site_profiles (created_utc, model_name, model_version, model_sha256,"
        " temperature, offsets, uncertain_below, n_readings, signed_by, fit)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    return int(cur.lastrowid or 0)


def roll_back(cur: sqlite3.Cursor, profile_id: int, by: str) -> int:
    """Stamp one active profile as rolled back; the number of rows changed (0 or 1)."""
    cur.execute(
        "UPDATE site_profiles SET rolled_back_utc = ?, rolled_back_by = ?"
        " WHERE id = ? AND rolled_back_utc IS NULL", (utc_now_iso(), by, int(profile_id)))
    return cur.rowcount


def fetch_all(conn: sqlite3.Connection) -> list[SiteProfile]:
    return [row_to_profile(r) for r in conn.execute(f"{SELECT} ORDER BY id DESC")]


def fetch_one(conn: sqlite3.Connection, profile_id: int) -> SiteProfile | None:
    row = conn.execute(f"{SELECT} WHERE id = ?", (int(profile_id),)).fetchone()
    return None if row is None else row_to_profile(row)


def fetch_active(conn: sqlite3.Connection) -> SiteProfile | None:
    row = conn.execute(f"{SELECT} WHERE rolled_back_utc IS NULL ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else row_to_profile(row)
