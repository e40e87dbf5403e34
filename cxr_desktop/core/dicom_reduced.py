"""Reduced-resolution decoding of a compressed DICOM frame, for the fast path of :mod:`dicom`.

- JPEG 2000 (1.2.840.10008.1.2.4.90 / .91): OpenJPEG's reduced resolution levels, through
  Pillow's bundled OpenJPEG (pylibjpeg-openjpeg, pydicom's decoder, can only decode every
  level). Level ``r`` is the wavelet's low-pass image at 1/2**r of the size: decoding it skips
  the code blocks of every finer level (~1/4**r of the work). OpenJPEG decodes with
  ``OPJ_NUM_THREADS`` threads when that variable is set (the decode guard's worker sets it).
- JPEG baseline / extended 8-bit (.50, .51): libjpeg's DCT scaling (``Image.draft``).

Only the plain cases take this path: one unsigned grey sample per pixel, a single frame header
that agrees with the DICOM header, at most 16 bits. Anything else returns None and the caller
decodes at full resolution with pydicom, then shrinks; so does any decoder failure here.
The values returned are the stored values, as pydicom would return them, ready for the
Modality LUT, the VOI LUT or window and the MONOCHROME1 inversion.
"""

from __future__ import annotations

import io
import logging
import struct

import numpy as np
from PIL import Image, ImageFile
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames

log = logging.getLogger(__name__)

_J2K_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"})
_JPEG_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"})
_JPEG_SCALES = (1, 2, 4, 8)


def decode_reduced_frame(ds: Dataset, frames: int, factor: int) -> tuple[np.ndarray, int] | None:
    """(stored values of the first frame shrunk about ``factor`` times, the factor used), or
    None when this frame is not one of the plain cases (the caller then decodes it whole)."""
    syntax = str(ds.file_meta.TransferSyntaxUID)
    if syntax not in _J2K_SYNTAXES and syntax not in _JPEG_SYNTAXES:
        return None
    plain = (
        int(ds.get("SamplesPerPixel", 1) or 1) == 1
        and int(ds.get("PixelRepresentation", 0) or 0) == 0
        and str(ds.get("PhotometricInterpretation", "")).upper() in ("MONOCHROME1", "MONOCHROME2")
    )
    if not plain:
        return None
    try:
        frame = next(generate_frames(ds.PixelData, number_of_frames=frames))
        if syntax in _J2K_SYNTAXES:
            return _j2k(frame, int(ds.BitsStored), factor)
        return _jpeg(frame, factor)
    except Exception as exc:  # noqa: BLE001 - the full decoder gets its chance (and says why)
        log.info("reduced decode declined: %s", type(exc).__name__)
        return None


def j2k_levels(frame: bytes) -> tuple[int, int, int, int, int, int, bool] | None:
    """(X1, Y1, X0, Y0, precision, decomposition levels, signed) from a JPEG 2000 codestream's
    main header (SIZ, COD), for a one-component image; None for anything else."""
    if frame[:4] != b"\xff\x4f\xff\x51" or len(frame) < 42:
        return None
    x1, y1, x0, y0 = struct.unpack(">IIII", frame[8:24])
    (components,) = struct.unpack(">H", frame[40:42])
    if components != 1 or len(frame) < 45:
        return None
    ssiz = frame[42]
    signed, precision = bool(ssiz & 0x80), (ssiz & 0x7F) + 1
    pos = 4 + struct.unpack(">H", frame[4:6])[0]  # after SOC, SIZ marker and SIZ
    while pos + 4 <= len(frame) and frame[pos] == 0xFF:
        marker = frame[pos + 1]
        length = struct.unpack(">H", frame[pos + 2 : pos + 4])[0]
        if marker == 0x52 and pos + 10 <= len(frame):  # COD: Scod, SGcod (4), then levels
            return x1, y1, x0, y0, precision, frame[pos + 9], signed
        if marker == 0x90:  # SOT: the tiles start, no COD seen
            return None
        pos += 2 + length
    return None


def _j2k(frame: bytes, bits_stored: int, factor: int) -> tuple[np.ndarray, int] | None:
    header = j2k_levels(frame)
    if header is None:
        return None
    x1, y1, x0, y0, precision, levels, signed = header
    if signed or not 8 <= precision <= 16 or precision != bits_stored:
        return None
    level = min(levels, max(0, factor.bit_length() - 1))  # 2**level <= factor
    power = 1 << level
    width = -(-x1 // power) - -(-x0 // power)
    height = -(-y1 // power) - -(-y0 // power)
    with Image.open(io.BytesIO(frame), formats=["JPEG2000"]) as im:
        if level:
            # Pillow rounds the reduced size to nearest (Pillow 13), OpenJPEG to the ceiling: a
            # 2665 px wide frame at level 2 is 667 px, and Pillow's 666 makes the decode fail.
            # So the tile is set up here as Pillow's own load() does, with OpenJPEG's size.
            im._reduce = level  # noqa: SLF001
            im._size = (width, height)  # noqa: SLF001
            tile = im.tile[0]
            args = (tile.args[0], level, im.layers, *tile.args[3:])
            im.tile = [ImageFile._Tile(tile.codec_name, (0, 0, width, height), tile.offset, args)]
            ImageFile.ImageFile.load(im)
        else:
            im.load()
        values = np.array(im)
        mode = im.mode
    if values.shape != (height, width):
        return None
    container = 8 if mode == "L" else 16  # Pillow widens the samples to its mode's depth
    if values.dtype == np.uint8 or container == 8:
        values = values.astype(np.uint8, copy=False)
    else:
        values = values.astype(np.uint16, copy=False)
    shift = container - precision
    if shift > 0:
        values = values >> shift
    return values.astype(np.uint8 if bits_stored <= 8 else np.uint16, copy=False), power


def _jpeg(frame: bytes, factor: int) -> tuple[np.ndarray, int] | None:
    with Image.open(io.BytesIO(frame), formats=["JPEG"]) as im:
        if im.mode != "L":
            return None
        width, height = im.size
        scale = max(s for s in _JPEG_SCALES if s <= factor)
        if scale > 1:
            im.draft("L", (width // scale, height // scale))
        im.load()
        used = max(1, round(width / im.size[0]))
        return np.array(im, dtype=np.uint8), used
