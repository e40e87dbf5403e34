"""Decoding PNG, JPEG, BMP, TIFF, GIF and WebP with Pillow, at full or reduced resolution.

The rules that map every encoding to the 8-bit look of the training PNGs are documented in
:mod:`cxr_desktop.core.imaging`. With ``min_side`` (the fast path) the image is decoded or
shrunk by an integer factor so that its shorter side stays at least ``min_side``:

- JPEG: libjpeg's DCT scaling (``Image.draft``: 1/2, 1/4 or 1/8), which skips most of the
  inverse DCT and colour conversion work;
- 8-bit images: Pillow's box ``reduce`` before the grey conversion;
- more than 8 bits: the full-scale value is taken from the whole image (so a reduced copy keeps
  the full decode's look), then a box mean in numpy, then the 8-bit mapping on the small array.

The returned metadata always describe the original image (its full size after EXIF rotation).
"""

from __future__ import annotations

import io
import logging
import struct

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cxr_desktop.core.errors import CxrError, ImageTooLargeError
from cxr_desktop.core.pixel_values import (
    box_reduce,
    check_dimensions,
    corrupt,
    effective_bits,
    full_scale,
    reduction_factor,
    scale_to_u8,
)
from cxr_desktop.core.png_inflate import png_stream
from cxr_desktop.core.structure_check import tiff_page_count
from cxr_desktop.core.types import ImageMetadata
from cxr_desktop.i18n import _

log = logging.getLogger(__name__)

HIGH_DEPTH_MODES = {"I;16": 16, "I;16L": 16, "I;16B": 16, "I;16N": 16, "I": 32, "F": 32}
_JPEG_SCALES = (1, 2, 4, 8)
_REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA")
#: EXIF orientations that swap width and height.
_TRANSPOSING = {5, 6, 7, 8}


def decode_pillow(data: bytes, fmt: str, label: str, max_pixels: int, min_side: int | None = None):
    """(pixels, display, metadata) of the first frame of a Pillow-readable image file."""
    if fmt == "PNG" and data[12:16] == b"IHDR" and len(data) >= 24:  # Pillow reads on to IDAT
        check_dimensions(*struct.unpack(">II", data[16:24]), max_pixels)
    stream = png_stream(data) if fmt == "PNG" else None
    try:
        if stream is not None:
            try:
                decoded = _decode(stream, data, fmt, label, max_pixels, min_side)
            except CxrError:
                raise
            except Exception:  # noqa: BLE001 - decoded again the usual way, for the usual error
                decoded = None
            finally:
                stream.close()
            if decoded is not None:
                return decoded
        return _decode(io.BytesIO(data), data, fmt, label, max_pixels, min_side)
    except CxrError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit, above ours
        raise ImageTooLargeError(
            _("This image is too large to open."), detail=f"{label}: {exc}"
        ) from exc
    except MemoryError as exc:
        raise ImageTooLargeError(
            _("This image is too large to open on this computer (not enough memory)."),
            detail=f"{label}: MemoryError",
        ) from exc
    except UnidentifiedImageError as exc:
        raise corrupt(fmt, f"{label}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a damaged file to the user
        raise corrupt(fmt, f"{label}: {type(exc).__name__}: {exc}") from exc


def _decode(fp, data: bytes, fmt: str, label: str, max_pixels: int, min_side: int | None):
    with Image.open(fp, formats=[fmt]) as im:
        check_dimensions(im.width, im.height, max_pixels)
        frames = _frame_count(im, data, fmt, label)
        im.seek(0)
        width, height = im.size
        if fmt == "JPEG" and min_side:
            _draft(im, min_side)
        im.load()
        mode = im.mode
        orientation = _orientation(im, label)
        if orientation != 1 and _transpose(im, label) and orientation in _TRANSPOSING:
            width, height = height, width
        pixels, display, bit_depth = _to_gray(im, reduction_factor(*im.size, min_side))
        colour = colorfulness(im)
    metadata = ImageMetadata(
        format=fmt, width=width, height=height, bit_depth=bit_depth, photometric=mode,
        frames=frames, colorfulness=colour,
    )
    return pixels, display, metadata


def _frame_count(im: Image.Image, data: bytes, fmt: str, label: str) -> int:
    if fmt == "TIFF":  # Pillow's n_frames reads every page; ours only counts the chain
        return tiff_page_count(data, label)
    return int(getattr(im, "n_frames", 1) or 1)


def _draft(im: Image.Image, min_side: int) -> None:
    """Ask libjpeg for a DCT-scaled decode (1/2, 1/4 or 1/8) keeping the shorter side >= min_side."""
    width, height = im.size
    factor = reduction_factor(width, height, min_side, _JPEG_SCALES)
    if factor > 1:
        im.draft(im.mode, (width // factor, height // factor))


def _orientation(im: Image.Image, label: str) -> int:
    """The EXIF orientation (1 when absent or unreadable: broken EXIF data is not fatal)."""
    try:
        value = int(im.getexif().get(0x0112, 1) or 1)
    except Exception as exc:  # noqa: BLE001
        log.info("ignoring unreadable EXIF orientation in %s: %s", label, type(exc).__name__)
        return 1
    return value if value in range(1, 9) else 1


def _transpose(im: Image.Image, label: str) -> bool:
    """Apply the EXIF orientation in place; broken EXIF data is ignored, not fatal."""
    try:
        ImageOps.exif_transpose(im, in_place=True)
    except Exception as exc:  # noqa: BLE001
        log.info("ignoring unreadable EXIF orientation in %s: %s", label, type(exc).__name__)
        return False
    return True


def colorfulness(im: Image.Image) -> float:
    """Hasler & Suesstrunk (2003) colourfulness of a Pillow image, on a <= 256 px copy; 0 for grey modes.

    About 0 for a grey picture stored as RGB, < 15 for faintly tinted ones, > 30 for most photos.
    """
    if im.mode in ("1", "L", "LA", "I", "F") or im.mode in HIGH_DEPTH_MODES:
        return 0.0
    small = im.convert("RGB")
    small.thumbnail((256, 256))
    rgb = np.asarray(small, dtype=np.float32)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def _to_gray(im: Image.Image, factor: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """(pixels, display, bits per sample) of a decoded Pillow image, shrunk by ``factor``."""
    mode = im.mode
    if mode in HIGH_DEPTH_MODES:
        if factor > 1 and mode != "F":  # Pillow shrinks 32-bit integer images in C
            wide = im if mode == "I" else im.convert("I")
            peak = wide.getextrema()[1]
            top = float(2 ** effective_bits(peak) - 1)  # the whole image's full scale
            values = np.asarray(wide.reduce(factor))
            if mode != "I":
                values = np.clip(values, 0, 65535).astype(np.uint16)
            return values, scale_to_u8(values, top), HIGH_DEPTH_MODES[mode]
        values = np.array(im)
        values = values.astype(values.dtype.newbyteorder("="), copy=False)  # I;16B is big-endian
        top = full_scale(values)
        values = box_reduce(values, factor)
        return values, scale_to_u8(values, top), HIGH_DEPTH_MODES[mode]
    if factor > 1 and mode in _REDUCIBLE_MODES:
        im, factor = im.reduce(factor), 1
    if mode == "CMYK":
        gray = im.convert("RGB").convert("L")
    elif im.mode == "L":
        gray = im
    else:
        try:
            gray = im.convert("L")  # RGB(A), P, LA, 1 (-> 0/255): alpha is dropped
        except ValueError:
            gray = im.convert("RGB").convert("L")
    values = np.array(gray, dtype=np.uint8)
    values = box_reduce(values, factor)
    return values, values, 1 if mode == "1" else 8
