"""A ``readings`` row <-> a ``Reading``."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from cxr_desktop.core.storage.search_text import search_text
from cxr_desktop.core.storage.sqlite.schema import COLUMNS
from cxr_desktop.core.storage.times import normalize_utc
from cxr_desktop.core.types import Reading

log = logging.getLogger("cxr_desktop.core.storage")


def _json_or(text: Any, default: Any, what: str, reading_id: Any) -> Any:
    try:
        return json.loads(text) if text is not None else default
    except (TypeError, ValueError):
        log.warning("reading %s has unreadable %s", reading_id, what)
        return default


def row_to_reading(row: tuple[Any, ...], images: tuple[Any, ...] = (None, None, None)) -> Reading:
    values = dict(zip(COLUMNS, row, strict=True))
    try:
        probabilities = {str(k): float(v) for k, v in json.loads(values["probabilities"]).items()}
    except (TypeError, ValueError, AttributeError):
        log.warning("reading %s has unreadable probabilities", values["id"])
        probabilities = {}
    cautions = _json_or(values["cautions"], [], "cautions", values["id"])
    model_probabilities = _probabilities_or_none(values["model_probabilities"], values["id"])
    thumbnail, preview, heatmap = images
    return Reading(
        id=int(values["id"]),
        created_utc=values["created_utc"],
        source_path=values["source_path"],
        file_sha256=values["file_sha256"],
        file_format=values["file_format"],
        width=values["width"],
        height=values["height"],
        probabilities=probabilities,
        label=values["label"],
        uncertain=bool(values["uncertain"]),
        out_of_distribution=bool(values["out_of_distribution"]),
        ood_score=values["ood_score"],
        model_name=values["model_name"],
        model_version=values["model_version"],
        model_sha256=values["model_sha256"],
        patient_id=values["patient_id"],
        patient_name=values["patient_name"],
        preview_png=None if preview is None else bytes(preview),
        heatmap_png=None if heatmap is None else bytes(heatmap),
        thumbnail_png=None if thumbnail is None else bytes(thumbnail),
        inference_ms=values["inference_ms"],
        note=values["note"] or "",
        confirmed_label=values["confirmed_label"],
        reviewed_utc=values["reviewed_utc"],
        ood_reason=values["ood_reason"],
        cautions=tuple(str(c) for c in cautions) if isinstance(cautions, list) else (),
        uid=values["uid"],
        version=int(values["version"] or 1),
        site_profile_id=values["site_profile_id"],
        model_probabilities=model_probabilities,
    )


def _probabilities_or_none(text: Any, reading_id: Any) -> dict[str, float] | None:
    if text is None:
        return None
    try:
        return {str(k): float(v) for k, v in json.loads(text).items()}
    except (TypeError, ValueError, AttributeError):
        log.warning("reading %s has unreadable model probabilities", reading_id)
        return None


def reading_to_row(reading: Reading) -> tuple[Any, ...]:
    """The values of ``COLUMNS[1:]`` and then ``search_text`` for a new row (the id is the
    database's to choose)."""
    created = normalize_utc(reading.created_utc)
    reviewed = normalize_utc(reading.reviewed_utc) if reading.reviewed_utc else None
    return (
        created,
        reading.patient_id,
        reading.patient_name,
        reading.source_path,
        reading.file_sha256,
        reading.file_format,
        reading.width,
        reading.height,
        json.dumps({str(k): float(v) for k, v in reading.probabilities.items()}),
        reading.label,
        int(bool(reading.uncertain)),
        int(bool(reading.out_of_distribution)),
        _finite(reading.ood_score),
        reading.model_name,
        reading.model_version,
        reading.model_sha256,
        _finite(reading.inference_ms),
        reading.note or "",
        reading.confirmed_label,
        reviewed,
        reading.ood_reason,
        json.dumps(list(reading.cautions), ensure_ascii=False),
        reading.uid,
        max(1, int(reading.version)),
        reading.site_profile_id,
        None if reading.model_probabilities is None else json.dumps(
            {str(k): float(v) for k, v in reading.model_probabilities.items()}),
        search_text(reading.patient_id, reading.patient_name, reading.note),
    )


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
