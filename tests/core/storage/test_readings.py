"""Prediction -> Reading: what the history stores for one prediction."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from cxr_desktop.core.storage import reading_from_prediction
from cxr_desktop.core.types import OOD_LABEL, ImageMetadata, Prediction, XrayImage


def make_image(width: int = 1000, height: int = 800, **meta) -> XrayImage:
    display = (np.arange(width * height, dtype=np.uint32).reshape(height, width) % 251).astype(np.uint8)
    metadata = ImageMetadata(
        format=meta.pop("format", "DICOM"), width=width, height=height, bit_depth=12,
        photometric="MONOCHROME2", **meta,
    )  # fmt: skip
    return XrayImage(
        pixels=display.astype(np.float32), display=display, metadata=metadata,
        source_path="/scans/img.dcm", sha256="ef" * 32,
    )  # fmt: skip


def make_prediction(image: XrayImage, ood: bool = False, heatmap: bool = True) -> Prediction:
    return Prediction(
        labels=("COVID-19", "Normal", "Viral_Pneumonia"),
        probabilities=(0.2, 0.5, 0.3),
        label="Normal",
        confidence=0.5,
        uncertain=True,
        out_of_distribution=ood,
        ood_score=1.7 if ood else 0.3,
        heatmap=np.full((7, 7), 200, np.uint8) if heatmap else None,
        model_name="cxr-net",
        model_version="1.0.0",
        model_sha256="12" * 32,
        timings_ms={"preprocess": 1.0, "inference": 10.0, "total": 12.5},
    )


def png_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        assert img.mode == "L"
        return img.size


@pytest.fixture
def imaging():
    return pytest.importorskip("cxr_desktop.core.imaging", reason="imaging.py not written yet")


def test_reading_from_prediction(imaging) -> None:
    image = make_image(1000, 800, patient_id="DCM-1", patient_name="Dicom^Name")
    now = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=3)))
    reading = reading_from_prediction(image, make_prediction(image), now=now)
    assert reading.id is None
    assert reading.created_utc == "2026-05-06T04:08:09.123456+00:00"
    assert reading.label == "Normal" and reading.uncertain and not reading.out_of_distribution
    assert reading.probabilities == {"COVID-19": 0.2, "Normal": 0.5, "Viral_Pneumonia": 0.3}
    assert (reading.patient_id, reading.patient_name) == ("DCM-1", "Dicom, Name")  # one rule
    assert (reading.source_path, reading.file_sha256, reading.file_format) == (
        "/scans/img.dcm", "ef" * 32, "DICOM",
    )  # fmt: skip
    assert (reading.width, reading.height) == (1000, 800)
    assert (reading.model_name, reading.model_version, reading.model_sha256) == (
        "cxr-net", "1.0.0", "12" * 32,
    )  # fmt: skip
    assert reading.inference_ms == 12.5 and reading.ood_score == 0.3
    width, height = png_size(reading.preview_png)
    assert width == 512 and abs(height - 410) <= 1
    assert png_size(reading.heatmap_png) == (7, 7)  # the model's resolution, scaled when drawn
    assert max(png_size(reading.thumbnail_png)) <= 96


def test_reading_from_prediction_ood_and_explicit_patient(imaging) -> None:
    image = make_image(300, 200, patient_id="DCM-1", patient_name="Dicom^Name")
    reading = reading_from_prediction(
        image, make_prediction(image, ood=True, heatmap=False), patient_id="typed", patient_name="Typed"
    )
    assert reading.label == OOD_LABEL and reading.out_of_distribution
    assert (reading.patient_id, reading.patient_name) == ("typed", "Typed")
    assert reading.heatmap_png is None
    assert png_size(reading.preview_png) == (300, 200)  # small images are not enlarged
    assert max(png_size(reading.thumbnail_png)) <= 96
    created = datetime.fromisoformat(reading.created_utc)
    assert created.utcoffset() == timedelta(0) and "." in reading.created_utc


def test_reading_from_prediction_keeps_the_reason_and_cautions(imaging) -> None:
    image = make_image(700, 900)
    pred = dataclasses.replace(make_prediction(image, ood=True), ood_reason="It is an MRI scan.",
                               cautions=("A child: extra caution.",))
    reading = reading_from_prediction(image, pred)
    assert reading.ood_reason == "It is an MRI scan." and reading.cautions == ("A child: extra caution.",)
    assert reading.patient_id is None and reading.patient_name is None
