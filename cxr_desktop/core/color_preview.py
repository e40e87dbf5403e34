"""issue 13: the colours of a colour picture, for the viewer only (the model sees the grey
``display``). Radiographs are grey, even when stored as RGB; a file with visible colour (a
photo, a coloured screenshot) is shown as it is, so what the banner says ("the picture is in
colour") matches what the person sees."""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image, ImageOps

log = logging.getLogger(__name__)

#: Colourfulness (Hasler-Suesstrunk, see pillow_decode.colorfulness) from which the colours are
#: kept: a grey picture stored as RGB measures ~0, a faint tint a few units, photos > 30.
MIN_COLORFULNESS = 2.0


def color_preview(data: bytes, fmt: str, shape: tuple[int, ...],
                  colorfulness: float) -> np.ndarray | None:
    """(height, width, 3) uint8 RGB at ``shape`` (the display's), or None for grey pictures,
    DICOM files and anything that cannot be read again (the grey image is then shown)."""
    if colorfulness < MIN_COLORFULNESS or fmt == "DICOM" or len(shape) != 2:
        return None
    height, width = int(shape[0]), int(shape[1])
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            im.seek(0)
            im.draft("RGB", (width, height))  # JPEG: decode at the display's scale
            im = ImageOps.exif_transpose(im)
            rgb = im.convert("RGB")
            if rgb.size != (width, height):
                rgb = rgb.resize((width, height), Image.Resampling.BOX)
            return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    except Exception as exc:  # noqa: BLE001 - the grey image is shown instead
        log.info("colour preview not made: %s", type(exc).__name__)
        return None
