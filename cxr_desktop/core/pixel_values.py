"""Pixel-value helpers shared by the decoders (:mod:`imaging`, :mod:`pillow_decode`, :mod:`dicom`).

- sizes: :func:`check_dimensions` (refuse bombs and thumbnails), :func:`reduction_factor` and
  :func:`box_reduce` (the fast path's integer down-scaling);
- values: :func:`effective_bits` and :func:`scale_to_u8` (more than 8 bits to the 8-bit look of
  the training PNGs, never a min-max stretch);
- :func:`corrupt`, the one "damaged file" error.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from cxr_desktop.core.errors import CorruptImageError, ImageTooLargeError, UnsupportedFileError
from cxr_desktop.i18n import _, format_number

#: Images narrower or shorter than this cannot be a radiograph.
MIN_SIDE = 16


def check_dimensions(width: int, height: int, max_pixels: int) -> None:
    """Refuse images too large to decode safely, or too small to be a radiograph."""
    if width <= 0 or height <= 0:
        raise CorruptImageError(
            _("The image is damaged: it has no pixels."), detail=f"size {width} x {height}"
        )
    if width * height > max_pixels:
        raise ImageTooLargeError(
            _(
                "This image is too large to open ({width} x {height} pixels; the limit is "
                "{limit} million pixels)."
            ).format(width=width, height=height, limit=format_number(max_pixels / 1e6)),
            detail=f"{width * height} pixels > max_pixels {max_pixels}",
        )
    if min(width, height) < MIN_SIDE:
        raise UnsupportedFileError(
            _("This image is too small ({width} x {height} pixels) to be an X-ray.").format(
                width=width, height=height
            ),
            detail=f"sides must be at least {MIN_SIDE} pixels",
        )


def reduction_factor(
    width: int, height: int, min_side: int | None, choices: tuple[int, ...] | None = None
) -> int:
    """The largest down-scaling factor that keeps the shorter side at ``min_side`` or more.

    1 (full resolution) when ``min_side`` is None or the image is already that small. With
    ``choices`` (e.g. JPEG's 1, 2, 4, 8), only those factors; otherwise any integer. A reduced
    side is ceil(side / factor), as libjpeg and OpenJPEG make it.
    """
    if not min_side or min_side <= 0:
        return 1
    short = min(width, height)
    if choices is None:
        factor = max(1, short // min_side)
        while factor > 1 and -(-short // factor) < min_side:
            factor -= 1
        return factor
    fitting = [f for f in choices if f >= 1 and -(-short // f) >= min_side]
    return max(fitting, default=1)


def box_reduce(values: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor`` x ``factor`` block (partial edge blocks over their own pixels),
    in the same dtype (integers rounded). Output side: ceil(side / factor).

    Pillow's ``reduce`` does the work (C, a few ms for a 6 MP image); numpy for other dtypes.
    """
    if factor <= 1:
        return values
    kind = values.dtype
    if kind == np.uint8:
        return np.asarray(Image.fromarray(np.ascontiguousarray(values)).reduce(factor))
    if kind in (np.uint16, np.int16, np.int32, np.uint32, np.float32, np.float64):
        if kind.kind == "f":
            work = values.astype(np.float32)  # a copy: non-finite values become 0 in it
            work[~np.isfinite(work)] = 0.0
        elif kind == np.uint32 and values.size and values.max() > np.iinfo(np.int32).max:
            return _numpy_box_reduce(values, factor)
        else:
            work = values.astype(np.int32)
        small = np.asarray(Image.fromarray(work).reduce(factor))
        if kind.kind in "ui":
            info = np.iinfo(kind)
            small = np.clip(small, info.min, info.max)
        return small.astype(kind)
    return _numpy_box_reduce(values, factor)


def _numpy_box_reduce(values: np.ndarray, factor: int) -> np.ndarray:
    height, width = values.shape[:2]
    out_h, out_w = -(-height // factor), -(-width // factor)
    work = values.astype(np.float64)
    if values.dtype.kind == "f":
        work[~np.isfinite(work)] = 0.0
    pad = ((0, out_h * factor - height), (0, out_w * factor - width))
    if any(p for _before, p in pad):  # repeating the edge: a partial block averages real values only
        work = np.pad(work, pad, mode="edge")
    blocks = work.reshape(out_h, factor, out_w, factor).mean(axis=(1, 3))
    if values.dtype.kind in "ui":
        info = np.iinfo(values.dtype)
        blocks = np.clip(np.rint(blocks), info.min, info.max)
    return blocks.astype(values.dtype)


def effective_bits(peak: float) -> int:
    """Smallest of 8, 10, 12, 14, 16 bits (or more) that holds ``peak``."""
    for bits in (8, 10, 12, 14, 16):
        if peak <= 2**bits - 1:
            return bits
    return min(int(peak).bit_length(), 64)


def full_scale(values: np.ndarray) -> float:
    """The ``top`` that :func:`scale_to_u8` uses by default: 1 for floats in 0..1, else
    2**effective_bits(max) - 1. Computed on the full image, so a reduced copy keeps its look."""
    if values.size == 0:
        return 255.0
    if values.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        peak = float(finite.max()) if finite.size else 0.0
        if peak <= 1.0:
            return 1.0
    else:
        peak = float(values.max())
    return float(2 ** effective_bits(peak) - 1)


def scale_to_u8(
    values: np.ndarray, top: float | None = None, *, overwrite: bool = False
) -> np.ndarray:
    """round(v * 255 / top) clipped to 0..255; ``top`` defaults to :func:`full_scale`.

    With ``overwrite``, a float32 ``values`` array is used as scratch space (saves a copy).
    """
    if top is None:
        top = full_scale(values)
    x = values if overwrite and values.dtype == np.float32 else values.astype(np.float32)
    if values.dtype.kind == "f":
        x[~np.isfinite(x)] = 0.0
    # Multiply first: v*257*255/65535 is then exactly v in float32 (an 8-bit image stored in 16).
    x *= np.float32(255.0)
    x /= np.float32(top)
    np.clip(x, 0.0, 255.0, out=x)
    x += np.float32(0.5)
    return x.astype(np.uint8)


def corrupt(fmt: str, detail: str) -> CorruptImageError:
    return CorruptImageError(
        _(
            "This {format} file is damaged or incomplete and cannot be opened. "
            "Try copying it again from the original source."
        ).format(format=fmt),
        detail=detail,
    )
