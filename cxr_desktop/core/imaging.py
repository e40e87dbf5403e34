"""Open a radiograph file as an :class:`XrayImage`: PNG, JPEG, BMP, TIFF, GIF, WebP or DICOM.

The format is found from the file's content (magic bytes), never from its extension.

``XrayImage.display`` is what the model sees, so one rule set maps every encoding to the 8-bit
look of the training PNGs (bright bone, dark air), and the same radiograph gives the same
``display`` whatever its encoding:

- 8-bit grey: as is. Colour (RGB, CMYK via RGB), palette and grey+alpha images: Pillow's "L"
  conversion; an alpha channel is dropped, not composited. 1-bit images: 0 / 255.
- More than 8 bits (Pillow modes I;16*, I, F): the effective bit depth comes from the largest
  value (<= 255: 8, <= 1023: 10, <= 4095: 12, <= 16383: 14, else 16 or more) and
  display = round(v * 255 / (2**bits - 1)). There is deliberately no min-max stretch: the
  training images were not stretched. Float images whose values all lie in 0..1 are scaled by 255.
- EXIF orientation is applied (JPEG mostly, but also PNG / TIFF / WebP that carry it).
- Multi-page files (TIFF, GIF, DICOM multi-frame): the first frame.
- DICOM: see :mod:`cxr_desktop.core.dicom`.

``pixels`` and ``display`` may be the same array (8-bit images): treat both as read-only.
Everything that goes wrong raises a :mod:`cxr_desktop.core.errors` error whose message is meant
for the person at the clinic PC; the technical cause goes into ``detail``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import struct
import warnings
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cxr_desktop.core.errors import (
    CorruptImageError,
    CxrError,
    ImageTooLargeError,
    UnsupportedFileError,
)
from cxr_desktop.core.types import ImageMetadata, XrayImage

log = logging.getLogger(__name__)

#: Largest image (width x height of one frame) that is decoded; 7000 x 7000 fits.
MAX_PIXELS = 50_000_000
#: Larger files are refused before they are read.
MAX_FILE_BYTES = 1 << 30
#: Images narrower or shorter than this cannot be a radiograph.
MIN_SIDE = 16

SUPPORTED_FORMATS_TEXT = "DICOM, PNG, JPEG, BMP or TIFF"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
# A DICOM data set written without the 128-byte preamble starts with a group 0002 or 0008 tag.
_RAW_DICOM_STARTS = (b"\x02\x00", b"\x08\x00", b"\x00\x08")
_HIGH_DEPTH_MODES = {"I;16": 16, "I;16L": 16, "I;16B": 16, "I;16N": 16, "I": 32, "F": 32}


def load_xray(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> XrayImage:
    """Read and decode the image file at ``path``."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError as exc:
        raise UnsupportedFileError(
            "The file could not be found. It may have been moved, renamed or deleted.",
            detail=f"{name}: {exc}",
        ) from exc
    except OSError as exc:
        raise UnsupportedFileError(
            "The file could not be opened.", detail=f"{name}: {exc}"
        ) from exc
    if stat.S_ISDIR(info.st_mode):
        raise UnsupportedFileError(
            "This is a folder, not an image. Please choose an X-ray image file.", detail=name
        )
    if not stat.S_ISREG(info.st_mode):  # a pipe or a device could block forever
        raise UnsupportedFileError(
            "This is not an image file.", detail=f"{name}: not a regular file"
        )
    _check_file_size(info.st_size, name)
    try:
        with open(name, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except PermissionError as exc:
        raise UnsupportedFileError(
            "CXR Desktop is not allowed to read this file. Check that you have access to it.",
            detail=f"{name}: {exc}",
        ) from exc
    except OSError as exc:
        raise UnsupportedFileError("The file could not be read.", detail=f"{name}: {exc}") from exc
    return load_xray_bytes(data, name, max_pixels=max_pixels)


def load_xray_bytes(
    data: bytes, name: str | None = None, *, max_pixels: int = MAX_PIXELS
) -> XrayImage:
    """Decode an image file's bytes. ``name`` (where they came from) becomes ``source_path``."""
    label = name or "<bytes>"
    if len(data) == 0:
        raise CorruptImageError(
            "The file is empty (0 bytes). It was probably not copied or saved completely.",
            detail=label,
        )
    _check_file_size(len(data), label)
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedFileError(
            f"This file is not an image CXR Desktop can open. "
            f"Please choose a chest X-ray saved as {SUPPORTED_FORMATS_TEXT}.",
            detail=f"{label}: unrecognised content ({len(data)} bytes, starts {data[:4].hex()})",
        )
    with _quiet_warnings():
        if fmt == "DICOM":
            pixels, display, metadata = _decode_dicom(data, label, max_pixels)
        else:
            pixels, display, metadata = _decode_pillow(data, fmt, label, max_pixels)
    return XrayImage(
        pixels=pixels,
        display=np.ascontiguousarray(display),
        metadata=metadata,
        source_path=name,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def sniff_format(data: bytes) -> str | None:
    """The image format from the first bytes ("PNG", "JPEG", ... "DICOM"), or None."""
    if len(data) >= 132 and data[128:132] == b"DICM":  # before TIFF: DICOM-TIFF dual files
        return "DICOM"
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] in _TIFF_MAGICS:
        return "TIFF"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    if len(data) >= 132 and data[:2] in _RAW_DICOM_STARTS:
        return "DICOM"  # maybe; the DICOM reader decides
    return None


def encode_png(gray_u8: np.ndarray, max_side: int) -> bytes:
    """A grayscale PNG of a 2-D uint8 image, shrunk so its longest side is <= ``max_side``.

    The aspect ratio is kept and the image is never enlarged.
    """
    if gray_u8.ndim != 2 or gray_u8.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 array, got {gray_u8.dtype} {gray_u8.shape}")
    if max_side < 1 or min(gray_u8.shape) < 1:
        raise ValueError(f"cannot encode a {gray_u8.shape} image at max_side={max_side}")
    image = Image.fromarray(np.ascontiguousarray(gray_u8))
    height, width = gray_u8.shape
    scale = max_side / max(width, height)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# -- helpers shared with cxr_desktop.core.dicom ---------------------------------------------------


def check_dimensions(width: int, height: int, max_pixels: int) -> None:
    """Refuse images too large to decode safely, or too small to be a radiograph."""
    if width <= 0 or height <= 0:
        raise CorruptImageError(
            "The image is damaged: it has no pixels.", detail=f"size {width} x {height}"
        )
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"This image is too large to open ({width} x {height} pixels; "
            f"the limit is {max_pixels / 1e6:.0f} million pixels).",
            detail=f"{width * height} pixels > max_pixels {max_pixels}",
        )
    if min(width, height) < MIN_SIDE:
        raise UnsupportedFileError(
            f"This image is too small ({width} x {height} pixels) to be an X-ray.",
            detail=f"sides must be at least {MIN_SIDE} pixels",
        )


def effective_bits(peak: float) -> int:
    """Smallest of 8, 10, 12, 14, 16 bits (or more) that holds ``peak``."""
    for bits in (8, 10, 12, 14, 16):
        if peak <= 2**bits - 1:
            return bits
    return min(int(peak).bit_length(), 64)


def scale_to_u8(
    values: np.ndarray, top: float | None = None, *, overwrite: bool = False
) -> np.ndarray:
    """round(v * 255 / top) clipped to 0..255; ``top`` defaults to the effective full scale.

    With ``overwrite``, a float32 ``values`` array is used as scratch space (saves a copy).
    """
    x = values if overwrite and values.dtype == np.float32 else values.astype(np.float32)
    if values.dtype.kind == "f":
        x[~np.isfinite(x)] = 0.0
    if top is None:
        peak = float(x.max()) if x.size else 0.0
        floats_in_unit_range = values.dtype.kind == "f" and peak <= 1.0
        top = 1.0 if floats_in_unit_range else float(2 ** effective_bits(peak) - 1)
    # Multiply first: v*257*255/65535 is then exactly v in float32 (an 8-bit image stored in 16).
    x *= np.float32(255.0)
    x /= np.float32(top)
    np.clip(x, 0.0, 255.0, out=x)
    x += np.float32(0.5)
    return x.astype(np.uint8)


def corrupt(fmt: str, detail: str) -> CorruptImageError:
    return CorruptImageError(
        f"This {fmt} file is damaged or incomplete and cannot be opened. "
        "Try copying it again from the original source.",
        detail=detail,
    )


# -- decoding ---------------------------------------------------------------------------------


def _check_file_size(size: int, label: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ImageTooLargeError(
            f"This file is too large to open ({size / 2**30:.1f} GB; "
            f"the limit is {MAX_FILE_BYTES / 2**30:.0f} GB).",
            detail=f"{label}: {size} bytes",
        )


@contextmanager
def _quiet_warnings():
    """Decoder warnings (Pillow's DecompressionBombWarning, pydicom's tag checks) go to the log.

    Only their category is logged: pydicom's messages can quote tag values such as names.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        log.debug("decoder warning %s (%s:%s)", w.category.__name__, w.filename, w.lineno)


def _decode_dicom(data: bytes, label: str, max_pixels: int):
    try:
        from cxr_desktop.core import dicom
    except ImportError as exc:  # pydicom missing from a broken install
        raise UnsupportedFileError(
            "DICOM files cannot be opened: DICOM support is missing. Please reinstall CXR Desktop.",
            detail=str(exc),
        ) from exc
    return dicom.decode_dicom(data, label, max_pixels)


def _decode_pillow(data: bytes, fmt: str, label: str, max_pixels: int):
    if fmt == "PNG" and data[12:16] == b"IHDR" and len(data) >= 24:  # Pillow reads on to IDAT
        check_dimensions(*struct.unpack(">II", data[16:24]), max_pixels)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            check_dimensions(im.width, im.height, max_pixels)
            frames = int(getattr(im, "n_frames", 1) or 1)
            im.seek(0)
            im.load()
            mode = im.mode
            oriented = _exif_transpose(im, label)
            pixels, display, bit_depth = _to_gray(oriented)
            colour = colorfulness(oriented)
    except CxrError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own limit, above ours
        raise ImageTooLargeError(
            "This image is too large to open.", detail=f"{label}: {exc}"
        ) from exc
    except MemoryError as exc:
        raise ImageTooLargeError(
            "This image is too large to open on this computer (not enough memory).",
            detail=f"{label}: MemoryError",
        ) from exc
    except UnidentifiedImageError as exc:
        raise corrupt(fmt, f"{label}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a damaged file to the user
        raise corrupt(fmt, f"{label}: {type(exc).__name__}: {exc}") from exc
    height, width = display.shape
    metadata = ImageMetadata(
        format=fmt, width=width, height=height, bit_depth=bit_depth, photometric=mode, frames=frames,
        colorfulness=colour,
    )
    return pixels, display, metadata


def colorfulness(im: Image.Image) -> float:
    """Hasler & Suesstrunk (2003) colourfulness of a Pillow image, on a <= 256 px copy; 0 for grey modes.

    About 0 for a grey picture stored as RGB, < 15 for faintly tinted ones, > 30 for most photos.
    """
    if im.mode in ("1", "L", "LA", "I", "F") or im.mode in _HIGH_DEPTH_MODES:
        return 0.0
    small = im.convert("RGB")
    small.thumbnail((256, 256))
    rgb = np.asarray(small, dtype=np.float32)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def _exif_transpose(im: Image.Image, label: str) -> Image.Image:
    """Apply the EXIF orientation tag; broken EXIF data is ignored, not fatal."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception as exc:  # noqa: BLE001
        log.info("ignoring unreadable EXIF orientation in %s: %s", label, type(exc).__name__)
        return im


def _to_gray(im: Image.Image) -> tuple[np.ndarray, np.ndarray, int]:
    """(pixels, display, bits per sample) of a decoded Pillow image."""
    mode = im.mode
    if mode in _HIGH_DEPTH_MODES:
        values = np.array(im)
        values = values.astype(values.dtype.newbyteorder("="), copy=False)  # I;16B is big-endian
        return values, scale_to_u8(values), _HIGH_DEPTH_MODES[mode]
    if mode == "CMYK":
        gray = im.convert("RGB").convert("L")
    elif mode == "L":
        gray = im
    else:
        try:
            gray = im.convert("L")  # RGB(A), P, LA, 1 (-> 0/255): alpha is dropped
        except ValueError:
            gray = im.convert("RGB").convert("L")
    values = np.array(gray, dtype=np.uint8)
    return values, values, 1 if mode == "1" else 8
