"""Prediction -> Reading: what the history stores for one prediction."""

from __future__ import annotations

import io
from datetime import datetime

from cxr_desktop.core.storage.times import utc_now_iso
from cxr_desktop.core.types import OOD_LABEL, Prediction, Reading, XrayImage

PREVIEW_MAX_SIDE = 512
THUMBNAIL_MAX_SIDE = 96


def _png_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return img.size


def reading_from_prediction(
    image: XrayImage,
    prediction: Prediction,
    patient_id: str | None = None,
    patient_name: str | None = None,
    now: datetime | None = None,
) -> Reading:
    """What the history stores for one prediction: previews as PNG, label or OOD_LABEL, etc."""
    import numpy as np

    from cxr_desktop.core.imaging import encode_png

    preview = encode_png(image.display, PREVIEW_MAX_SIDE)
    thumbnail = encode_png(image.display, THUMBNAIL_MAX_SIDE)
    heatmap_png = None
    if prediction.heatmap is not None:
        heat = np.asarray(prediction.heatmap)
        if heat.dtype != np.uint8:
            heat = np.clip(heat, 0, 255).astype(np.uint8)
        if heat.shape != image.display.shape:
            from PIL import Image

            heat = np.asarray(
                Image.fromarray(heat, mode="L").resize(
                    (image.width, image.height), Image.Resampling.BILINEAR
                )
            )
        heatmap_png = encode_png(heat, PREVIEW_MAX_SIDE)
        if _png_size(heatmap_png) != _png_size(preview):  # pragma: no cover - defensive
            from PIL import Image

            size = _png_size(preview)
            small = Image.fromarray(heat, mode="L").resize(size, Image.Resampling.BILINEAR)
            heatmap_png = encode_png(np.asarray(small), max(size))
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
        patient_id=patient_id if patient_id is not None else meta.patient_id,
        patient_name=patient_name if patient_name is not None else meta.patient_name,
        preview_png=preview,
        heatmap_png=heatmap_png,
        thumbnail_png=thumbnail,
        inference_ms=prediction.total_ms,
    )
