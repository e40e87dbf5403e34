"""A ``readings`` row <-> a ``Reading`` on the server (native types: timestamptz, json,
boolean, uuid; converted to the same Python values SQLite's rows give)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from cxr_desktop.core.storage.search_text import search_text
from cxr_desktop.core.storage.times import normalize_utc, utc_now_iso
from cxr_desktop.core.types import Reading

COLUMNS = (
    "id", "created_utc", "patient_id", "patient_name", "source_path", "file_sha256",
    "file_format", "width", "height", "probabilities", "label", "uncertain",
    "out_of_distribution", "ood_score", "model_name", "model_version", "model_sha256",
    "inference_ms", "note", "confirmed_label", "reviewed_utc", "ood_reason", "cautions",
    # issue 15
    "uid", "version",
    # issue 12: site calibration
    "site_profile_id", "model_probabilities",
)
SEARCH_COLUMN = "search_text"
SELECT = ", ".join(f"r.{c}" for c in COLUMNS)
#: Placeholders of a new row: COLUMNS[1:] then search_text (json and timestamps cast).
CASTS = {"probabilities": "::json", "cautions": "::json", "created_utc": "::timestamptz",
         "reviewed_utc": "::timestamptz", "uid": "::uuid", "model_probabilities": "::json"}
INSERT_COLUMNS = (*COLUMNS[1:], SEARCH_COLUMN)
PLACEHOLDERS = ", ".join("%s" + CASTS.get(c, "") for c in INSERT_COLUMNS)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return utc_now_iso(value) if isinstance(value, datetime) else normalize_utc(str(value))


def row_to_reading(row: tuple[Any, ...], images: tuple[Any, ...] = (None, None, None)) -> Reading:
    v = dict(zip(COLUMNS, row, strict=True))
    probabilities = v["probabilities"] if isinstance(v["probabilities"], dict) else {}
    cautions = v["cautions"] if isinstance(v["cautions"], list) else []
    thumbnail, preview, heatmap = images
    return Reading(
        id=int(v["id"]),
        created_utc=_iso(v["created_utc"]) or "",
        source_path=v["source_path"],
        file_sha256=v["file_sha256"],
        file_format=v["file_format"],
        width=v["width"],
        height=v["height"],
        probabilities={str(k): float(p) for k, p in probabilities.items()},
        label=v["label"],
        uncertain=bool(v["uncertain"]),
        out_of_distribution=bool(v["out_of_distribution"]),
        ood_score=v["ood_score"],
        model_name=v["model_name"],
        model_version=v["model_version"],
        model_sha256=v["model_sha256"],
        patient_id=v["patient_id"],
        patient_name=v["patient_name"],
        preview_png=None if preview is None else bytes(preview),
        heatmap_png=None if heatmap is None else bytes(heatmap),
        thumbnail_png=None if thumbnail is None else bytes(thumbnail),
        inference_ms=v["inference_ms"],
        note=v["note"] or "",
        confirmed_label=v["confirmed_label"],
        reviewed_utc=_iso(v["reviewed_utc"]),
        ood_reason=v["ood_reason"],
        cautions=tuple(str(c) for c in cautions),
        uid=None if v["uid"] is None else str(v["uid"]),
        version=int(v["version"] or 1),
        site_profile_id=None if v["site_profile_id"] is None else int(v["site_profile_id"]),
        model_probabilities=_probabilities_or_none(v["model_probabilities"]),
    )


def _probabilities_or_none(value: Any) -> dict[str, float] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): float(p) for k, p in value.items()}


def text(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL (SQLite can, and a hostile DICOM tag may): it becomes
    U+FFFD, so the reading is stored rather than refused."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def reading_to_row(reading: Reading) -> tuple[Any, ...]:
    """Values for INSERT_COLUMNS (raises ValueError for a bad timestamp)."""
    import json

    created = normalize_utc(reading.created_utc)
    reviewed = normalize_utc(reading.reviewed_utc) if reading.reviewed_utc else None
    return tuple(text(v) for v in (
        created, reading.patient_id, reading.patient_name, reading.source_path,
        reading.file_sha256, reading.file_format, reading.width, reading.height,
        json.dumps({str(k): float(p) for k, p in reading.probabilities.items()}),
        reading.label, bool(reading.uncertain), bool(reading.out_of_distribution),
        _finite(reading.ood_score), reading.model_name, reading.model_version,
        reading.model_sha256, _finite(reading.inference_ms), reading.note or "",
        reading.confirmed_label, reviewed, reading.ood_reason,
        json.dumps(list(reading.cautions), ensure_ascii=False), reading.uid,
        max(1, int(reading.version)),
        reading.site_profile_id,
        None if reading.model_probabilities is None else json.dumps(
            {str(k): float(p) for k, p in reading.model_probabilities.items()}),
        search_text(reading.patient_id, reading.patient_name, reading.note),
    ))


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
