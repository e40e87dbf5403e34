"""Prediction -> Reading: what the history stores for one prediction."""

from __future__ import annotations

import uuid
from datetime import datetime

from cxr_desktop.core.patient import clean, stored_name
from cxr_desktop.core.storage.times import utc_now_iso
from cxr_desktop.core.types import OOD_LABEL, DicomFacts, Prediction, Reading, XrayImage

PREVIEW_MAX_SIDE = 512
THUMBNAIL_MAX_SIDE = 96


def reading_from_prediction(
    image: XrayImage,
    prediction: Prediction,
    patient_id: str | None = None,
    patient_name: str | None = None,
    now: datetime | None = None,
) -> Reading:
    """What the history stores for one prediction: previews as PNG, label or OOD_LABEL, the
    patient fields by the one rule of ``core.patient`` (the DICOM's when none are given)."""
    import numpy as np

    from cxr_desktop.core.imaging import encode_png

    preview = encode_png(image.display, PREVIEW_MAX_SIDE)
    thumbnail = encode_png(image.display, THUMBNAIL_MAX_SIDE)
    heatmap_png = None
    if prediction.heatmap is not None:  # stored at the model's resolution, scaled when drawn
        heat = np.asarray(prediction.heatmap)
        if heat.dtype != np.uint8:
            heat = np.clip(heat, 0, 255).astype(np.uint8)
        heatmap_png = encode_png(heat, max(heat.shape))
    meta = image.metadata
    return Reading(
        id=None,
        created_utc=utc_now_iso(now),
        source_path=image.source_path,
        file_sha256=image.sha256,
        file_format=meta.format,
        width=meta.width,
        height=meta.height,
        probabilities=prediction.probability_by_label,
        label=OOD_LABEL if prediction.out_of_distribution else prediction.label,
        uncertain=prediction.uncertain,
        out_of_distribution=prediction.out_of_distribution,
        ood_score=prediction.ood_score,
        model_name=prediction.model_name,
        model_version=prediction.model_version,
        model_sha256=prediction.model_sha256,
        patient_id=clean(patient_id if patient_id is not None else meta.patient_id),
        patient_name=stored_name(patient_name if patient_name is not None else meta.patient_name),
        preview_png=preview,
        heatmap_png=heatmap_png,
        thumbnail_png=thumbnail,
        inference_ms=prediction.total_ms,
        ood_reason=prediction.ood_reason,
        cautions=tuple(prediction.cautions),
        uid=str(uuid.uuid4()),  # issue 15: made once here, so a reading sent twice is stored once
        dicom=DicomFacts.from_metadata(meta),
    )
