"""From a DICOM frame's stored values to ``pixels`` and ``display`` (see :mod:`dicom`).

Modality LUT or Rescale Slope/Intercept, then the VOI LUT or the first window, or a scaling by
the stored range (8-bit unsigned data) or a min-max stretch; MONOCHROME1 is inverted last.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels import apply_modality_lut
from pydicom.uid import ExplicitVRBigEndian

from cxr_desktop.core.pixel_values import effective_bits, scale_to_u8


def grayscale(
    arr: np.ndarray, ds: Dataset, invert: bool, value_range: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(values, display); ``value_range``: the stored values' (min, max) over the whole frame
    when ``arr`` is a reduced copy, so that a min-max stretch looks like the full decode's."""
    slope = float(ds.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(ds.get("RescaleIntercept", 0.0) or 0.0)
    rescaled = "ModalityLUTSequence" in ds or slope != 1.0 or intercept != 0.0
    if "ModalityLUTSequence" in ds:
        values = apply_modality_lut(arr, ds).astype(np.float32)
    elif rescaled:  # in float32 rather than pydicom's float64: half the memory
        values = arr.astype(np.float32)
        values *= np.float32(slope)
        values += np.float32(intercept)
    else:
        values = arr
    if value_range is not None and "ModalityLUTSequence" not in ds:
        ends = sorted(np.float32(v) * np.float32(slope) + np.float32(intercept) for v in value_range)
        value_range = (float(ends[0]), float(ends[1]))
    display = _voi_lut(values, ds)
    if display is None:
        display = _window(values, ds)
    if display is None:
        stored = int(ds.get("BitsStored", 8) or 8)
        unsigned_small = not rescaled and arr.dtype.kind == "u" and stored <= 8
        if unsigned_small:
            display = scale_to_u8(values, top=2**stored - 1)
        else:
            display = _min_max(values, value_range)
    if invert:
        display = 255 - display
        values = _invert(values)
    return values, display


def _voi_lut(values: np.ndarray, ds: Dataset) -> np.ndarray | None:
    """The first VOI LUT, its output range mapped to 0..255; None without one.

    (Not pydicom's apply_voi_lut: it indexes 8-bit LUTs with a uint8 array, so a 4096-entry
    8-bit LUT wraps around; pydicom 3.0.2.)
    """
    sequence = ds.get("VOILUTSequence")
    if not sequence:
        return None
    item = sequence[0]
    entries, first, bits = (int(v) for v in item.LUTDescriptor)
    entries = entries or 65536
    raw = item.LUTData
    if isinstance(raw, bytes):  # OW
        little = ds.file_meta.TransferSyntaxUID != ExplicitVRBigEndian
        lut = np.frombuffer(raw, dtype="<u2" if little else ">u2")
    else:
        lut = np.atleast_1d(np.asarray(raw, dtype=np.float64))
    lut = lut[:entries].astype(np.float64)
    if lut.size == 0:
        return None
    top = 2 ** min(max(bits, 8), 16) - 1
    peak = float(lut.max())
    if peak > top or peak < (top + 1) / 4:  # a descriptor that misstates the output depth
        top = 2 ** effective_bits(peak) - 1
    lut_u8 = scale_to_u8(lut, top=top)
    index = np.rint(values.astype(np.float32) - np.float32(first))
    np.clip(index, 0, lut.size - 1, out=index)
    return lut_u8[index.astype(np.int32)]


def _window(values: np.ndarray, ds: Dataset) -> np.ndarray | None:
    """DICOM PS3.3 C.11.2.1.2 windowing (first window) to 0..255; None without a valid one."""
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is None or width is None:
        return None
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").upper()
    y = values.astype(np.float32)  # scratch space, worked on in place
    if function == "SIGMOID" and width > 0:
        y -= np.float32(center)
        y *= np.float32(-4.0 / width)
        with np.errstate(over="ignore"):
            np.exp(y, out=y)
        y += np.float32(1.0)
        np.divide(np.float32(255.0), y, out=y)
    elif function == "LINEAR_EXACT" and width > 0:
        y -= np.float32(center)
        y *= np.float32(255.0 / width)
        y += np.float32(127.5)
    elif width > 1:
        y -= np.float32(center - 0.5)
        y *= np.float32(255.0 / (width - 1.0))
        y += np.float32(127.5)
    elif width == 1:
        y = np.where(y > center - 0.5, np.float32(255.0), np.float32(0.0))
    else:
        return None
    return scale_to_u8(y, top=255.0, overwrite=True)


def _first(value: object) -> float | None:
    """The first of a possibly multi-valued number (several windows: the first one)."""
    if isinstance(value, (MultiValue, list, tuple)):
        value = value[0] if len(value) else None
    try:
        return float(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _min_max(values: np.ndarray, value_range: tuple[float, float] | None = None) -> np.ndarray:
    if value_range is not None and all(np.isfinite(value_range)):
        low, high = value_range
    else:
        finite = values
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            finite = values[np.isfinite(values)]
        if finite.size == 0:
            return np.zeros(values.shape, dtype=np.uint8)
        low, high = float(finite.min()), float(finite.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    shifted = values.astype(np.float32)
    shifted -= np.float32(low)
    return scale_to_u8(shifted, top=high - low, overwrite=True)


def _invert(values: np.ndarray) -> np.ndarray:
    """max + min - x, in the same dtype (the result stays within the data's own range)."""
    if values.dtype.kind == "f":
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return values
        return (np.float32(finite.max()) + np.float32(finite.min()) - values).astype(values.dtype)
    kind = values.dtype.type
    low, high = kind(values.min()), kind(values.max())
    # Integer arrays wrap around silently; the true result lies within [low, high], so it is exact.
    out = values - low
    np.subtract(high, out, out=out)
    return out
