"""Open a radiograph file as an :class:`XrayImage`: PNG, JPEG, BMP, TIFF, GIF, WebP or DICOM.

The API (what the service layer, the GUI, the CLI and training call):

``load_xray(path, *, max_pixels=MAX_PIXELS, min_side=None) -> XrayImage``
    Full resolution (``min_side=None``): every pixel, all metadata, ``sha256`` of the file's
    bytes. This is what training and the viewer use.
``load_xray(path, min_side=N)``, the fast path for the model and the preview
    May decode at reduced resolution: JPEG DCT scaling (1/2, 1/4, 1/8), JPEG 2000 reduced
    resolution levels, a box mean for everything else (see :mod:`pillow_decode`,
    :mod:`dicom`). ``display`` (and ``pixels``, same shape) then has its *shorter* side at least
    ``N`` (so its longer side too), or the original size when that is smaller;
    ``metadata.width``/``metadata.height`` are still the original image's size, and
    ``sha256``, format, bit depth, frames and DICOM tags are those of the full decode (the
    colourfulness is measured on a 256 px thumbnail either way, here of the reduced image).
    ``is_reduced(image)`` tells the two apart. The model's prediction from it agrees with the
    full decode (tests/core/test_fast_path.py, ``python -m bench --only open``).
``load_xray_bytes(data, name=None, *, max_pixels=MAX_PIXELS, min_side=None)``
    The same for bytes already in memory.

A hostile file cannot hang these calls for long: files built to keep a decoder busy (thousands
of JPEG scans, a million TIFF strips) are refused from their structure first
(:mod:`structure_check`). To bound *any* decode in time, call them through
:class:`cxr_desktop.core.decode_guard.DecodeGuard`, which decodes in a worker process that is
killed past a per-file time limit.

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
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
from PIL import Image

from cxr_desktop.core.color_preview import color_preview
from cxr_desktop.core.errors import CorruptImageError, ImageTooLargeError, UnsupportedFileError
from cxr_desktop.core.pillow_decode import colorfulness, decode_pillow
from cxr_desktop.core.pixel_values import (  # noqa: F401 - re-exported for the decoders
    MIN_SIDE,
    check_dimensions,
    corrupt,
    effective_bits,
    scale_to_u8,
)
from cxr_desktop.core.structure_check import check_structure
from cxr_desktop.core.types import XrayImage
from cxr_desktop.i18n import _, format_number

log = logging.getLogger(__name__)

__all__ = [
    "MAX_FILE_BYTES", "MAX_PIXELS", "MIN_SIDE", "SUPPORTED_FORMATS_TEXT", "colorfulness",
    "encode_png", "is_reduced", "load_xray", "load_xray_bytes", "sniff_format",
]

#: Largest image (width x height of one frame) that is decoded; 7000 x 7000 fits.
MAX_PIXELS = 50_000_000
#: Larger files are refused before they are read.
MAX_FILE_BYTES = 1 << 30
#: Files at least this large are hashed on a second thread while they are decoded.
_HASH_IN_PARALLEL_BYTES = 1 << 20

SUPPORTED_FORMATS_TEXT = "DICOM, PNG, JPEG, BMP or TIFF"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
# A DICOM data set written without the 128-byte preamble starts with a group 0002 or 0008 tag.
_RAW_DICOM_STARTS = (b"\x02\x00", b"\x08\x00", b"\x00\x08")
_hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxr-sha256")


def load_xray(
    path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS, min_side: int | None = None
) -> XrayImage:
    """Read and decode the image file at ``path`` (``min_side``: the fast path, see above)."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError as exc:
        raise UnsupportedFileError(
            _("The file could not be found. It may have been moved, renamed or deleted."),
            detail=f"{name}: {exc}",
        ) from exc
    except OSError as exc:
        raise UnsupportedFileError(
            _("The file could not be opened."), detail=f"{name}: {exc}"
        ) from exc
    if stat.S_ISDIR(info.st_mode):
        raise UnsupportedFileError(
            _("This is a folder, not an image. Please choose an X-ray image file."), detail=name
        )
    if not stat.S_ISREG(info.st_mode):  # a pipe or a device could block forever
        raise UnsupportedFileError(
            _("This is not an image file."), detail=f"{name}: not a regular file"
        )
    _check_file_size(info.st_size, name)
    try:
        with open(name, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except PermissionError as exc:
        raise UnsupportedFileError(
            _("CXR Desktop is not allowed to read this file. Check that you have access to it."),
            detail=f"{name}: {exc}",
        ) from exc
    except OSError as exc:
        raise UnsupportedFileError(
            _("The file could not be read."), detail=f"{name}: {exc}"
        ) from exc
    return load_xray_bytes(data, name, max_pixels=max_pixels, min_side=min_side)


def load_xray_bytes(
    data: bytes, name: str | None = None, *, max_pixels: int = MAX_PIXELS,
    min_side: int | None = None,
) -> XrayImage:
    """Decode an image file's bytes. ``name`` (where they came from) becomes ``source_path``."""
    label = name or "<bytes>"
    if len(data) == 0:
        raise CorruptImageError(
            _("The file is empty (0 bytes). It was probably not copied or saved completely."),
            detail=label,
        )
    _check_file_size(len(data), label)
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedFileError(
            _(
                "This file is not an image CXR Desktop can open. "
                "Please choose a chest X-ray saved as {formats}."
            ).format(formats=SUPPORTED_FORMATS_TEXT),
            detail=f"{label}: unrecognised content ({len(data)} bytes, starts {data[:4].hex()})",
        )
    check_structure(data, fmt, label)
    digest = _hasher.submit(_sha256, data) if len(data) >= _HASH_IN_PARALLEL_BYTES else None
    try:
        with _quiet_warnings():
            if fmt == "DICOM":
                pixels, display, metadata = _decode_dicom(data, label, max_pixels, min_side)
            else:
                pixels, display, metadata = decode_pillow(data, fmt, label, max_pixels, min_side)
    finally:
        sha256 = digest.result() if digest is not None else _sha256(data)
    return XrayImage(
        pixels=pixels,
        display=np.ascontiguousarray(display),
        metadata=metadata,
        source_path=name,
        sha256=sha256,
        color=color_preview(data, fmt, display.shape, metadata.colorfulness),
    )


def is_reduced(image: XrayImage) -> bool:
    """True when ``image`` came from the fast path at less than its full resolution."""
    return image.display.shape != (image.metadata.height, image.metadata.width)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()  # releases the GIL: runs beside the decoder


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


# -- decoding ---------------------------------------------------------------------------------


def _check_file_size(size: int, label: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ImageTooLargeError(
            _("This file is too large to open ({size} GB; the limit is {limit} GB).").format(
                size=format_number(size / 2**30, 1), limit=format_number(MAX_FILE_BYTES / 2**30)
            ),
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


def _decode_dicom(data: bytes, label: str, max_pixels: int, min_side: int | None):
    try:
        from cxr_desktop.core import dicom
    except ImportError as exc:  # pydicom missing from a broken install
        raise UnsupportedFileError(
            _(
                "DICOM files cannot be opened: DICOM support is missing. "
                "Please reinstall CXR Desktop."
            ),
            detail=str(exc),
        ) from exc
    return dicom.decode_dicom(data, label, max_pixels, min_side=min_side)
