"""Readings for the storage tests."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from cxr_desktop.core.types import Reading


def make_reading(**overrides) -> Reading:
    values = dict(
        id=None,
        created_utc="2026-03-04T05:06:07.123456+00:00",
        source_path="/data/xrays/chest 1.png",
        file_sha256="ab" * 32,
        file_format="PNG",
        width=2000,
        height=2400,
        probabilities={"COVID-19": 0.7, "Normal": 0.2, "Viral_Pneumonia": 0.1},
        label="COVID-19",
        uncertain=False,
        out_of_distribution=False,
        ood_score=0.42,
        model_name="cxr-net",
        model_version="1.2.3",
        model_sha256="cd" * 32,
        patient_id="PID-001",
        patient_name="Doe^Jane",
        preview_png=b"\x89PNG preview",
        heatmap_png=b"\x89PNG heatmap",
        thumbnail_png=b"\x89PNG thumb",
        inference_ms=123.5,
        note="",
        confirmed_label=None,
        reviewed_utc=None,
    )
    values.update(overrides)
    return Reading(**values)


def at(day: int, hour: int = 12, minute: int = 0) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc).isoformat(timespec="microseconds")


def ids(readings: list[Reading]) -> list[int]:
    return [r.id for r in readings]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
