"""DICOM decoding for :func:`cxr_desktop.core.imaging.load_xray` (pydicom >= 3 + pylibjpeg).

- Only the first frame is decoded. Colour images (RGB, YBR_* converted to RGB, PALETTE COLOR)
  become grey with Pillow's "L" weights.
- ``pixels``: the Modality LUT / Rescale Slope+Intercept output (float32 when it changes the
  values, else the stored integers), MONOCHROME1 inverted as ``max + min - x``.
- ``display``: the VOI LUT (first item of the VOI LUT Sequence) or else the first Window
  Center/Width (LINEAR, LINEAR_EXACT or SIGMOID), its output range mapped to 0..255. With neither:
  unsigned, unrescaled data of <= 8 bits stored is scaled by its stored range (so an 8-bit DICOM
  looks exactly like the same 8-bit PNG), anything else is min-max stretched to 0..255.
  MONOCHROME1 is then inverted (255 - x).
- Fast path (``min_side``): the first frame is decoded at reduced resolution where the codec
  can (JPEG 2000 resolution levels, JPEG DCT scaling: :mod:`dicom_reduced`), else decoded whole
  and box-averaged, *before* the LUTs above (a min-max stretch keeps the full image's range).
  The metadata still give the full size.
- A JPEG frame with more scans than any radiograph has is refused before decoding
  (:mod:`structure_check`).
- Sizes are checked against ``max_pixels`` from the header, before any pixel is decoded; a
  compressed frame must declare the same size in its own header (JPEG SOF, JPEG 2000 SIZ),
  because the decoders allocate what the codestream says, not what the DICOM header says.
  A deflated data set may inflate to at most ``max_pixels`` x 8 bytes (pydicom inflates it
  whole, before any check).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import generate_frames
from pydicom.pixels import apply_color_lut, as_pixel_options, convert_color_space, get_decoder
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from cxr_desktop.core.dicom_display import grayscale
from cxr_desktop.core.dicom_reduced import decode_reduced_frame
from cxr_desktop.core.errors import (
    CorruptImageError,
    CxrError,
    ImageTooLargeError,
    UnsupportedFileError,
)
from cxr_desktop.core.imaging import SUPPORTED_FORMATS_TEXT
from cxr_desktop.core.pixel_values import (
    box_reduce,
    check_dimensions,
    corrupt,
    reduction_factor,
    scale_to_u8,
)
from cxr_desktop.core.structure_check import check_jpeg_scans
from cxr_desktop.core.types import ImageMetadata
from cxr_desktop.i18n import _

_PIXEL_DATA_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
#: JPEG start-of-frame markers (SOF0-SOF15 without DHT, JPG, DAC) and JPEG-LS SOF55.
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                       0xCF, 0xF7})
_J2K_SIZ = b"\xff\x4f\xff\x51"  # SOC followed by SIZ
_DEFLATED = b"1.2.840.10008.1.2.1.99"
#: Inflated bytes allowed per pixel of ``max_pixels`` (64-bit samples, or RGB at 16 bits, fit).
_INFLATED_BYTES_PER_PIXEL = 8
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN",
                       b"UR", b"UT", b"UV"})
_METADATA_TAGS = {
    "patient_id": "PatientID",
    "patient_name": "PatientName",
    "study_date": "StudyDate",
    "modality": "Modality",
    "body_part": "BodyPartExamined",
    "view_position": "ViewPosition",
    # issue 11: the facts kept with the reading
    "patient_age": "PatientAge",
    "patient_birth_date": "PatientBirthDate",
    "patient_sex": "PatientSex",
    "study_instance_uid": "StudyInstanceUID",
    "series_instance_uid": "SeriesInstanceUID",
    "sop_instance_uid": "SOPInstanceUID",
    "institution": "InstitutionName",
    "equipment_manufacturer": "Manufacturer",
    "equipment_model": "ManufacturerModelName",
}


def decode_dicom(
    data: bytes, label: str, max_pixels: int, min_side: int | None = None
) -> tuple[np.ndarray, np.ndarray, ImageMetadata]:
    """(pixels, display, metadata) of a DICOM file's first frame (``min_side``: fast path)."""
    has_preamble = len(data) >= 132 and data[128:132] == b"DICM"
    deflated_at = _deflated_data_set(data, has_preamble)
    if deflated_at is not None:
        _check_inflated_size(data, deflated_at, label, max_pixels * _INFLATED_BYTES_PER_PIXEL)
    ds = _read(data, label, has_preamble)
    try:
        rows, columns, frames = _check_header(ds, label, max_pixels)
        _check_codestream(ds, rows, columns, frames, label)
        pixels, display = _decode_first_frame(ds, frames, reduction_factor(columns, rows, min_side))
        bit_depth = int(ds.get("BitsStored", 0) or ds.get("BitsAllocated", 0) or 0)
        photometric = str(ds.get("PhotometricInterpretation", "") or "")
    except CxrError:
        raise
    except MemoryError as exc:
        raise ImageTooLargeError(
            _("This image is too large to open on this computer (not enough memory)."),
            detail=f"{label}: MemoryError",
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a damaged file to the user
        raise corrupt("DICOM", f"{label}: {type(exc).__name__}: {exc}") from exc
    metadata = ImageMetadata(
        format="DICOM",
        width=columns,
        height=rows,
        bit_depth=bit_depth,
        photometric=photometric,
        frames=frames,
        **header_fields(ds),
        **_pixel_spacing(ds),
    )
    return pixels, display, metadata


def header_fields(ds: Dataset) -> dict[str, str | None]:
    """The text fields of ``ImageMetadata`` that a DICOM header fills (patient, study, view)."""
    return {field: _text(ds, keyword) for field, keyword in _METADATA_TAGS.items()}


def _deflated_data_set(data: bytes, has_preamble: bool) -> int | None:
    """Where the data set starts when the file meta information (group 0002, always explicit
    VR little endian) names the Deflated Explicit VR Little Endian transfer syntax, else None."""
    pos, syntax = (132 if has_preamble else 0), b""
    while pos + 8 <= len(data) and data[pos : pos + 2] == b"\x02\x00":
        element = int.from_bytes(data[pos + 2 : pos + 4], "little")
        if data[pos + 4 : pos + 6] in _LONG_VRS:
            length, head = int.from_bytes(data[pos + 8 : pos + 12], "little"), 12
        else:
            length, head = int.from_bytes(data[pos + 6 : pos + 8], "little"), 8
        if element == 0x0010:
            syntax = data[pos + head : pos + head + length].rstrip(b"\x00 ")
        pos += head + length
    return pos if syntax == _DEFLATED else None


def _check_inflated_size(data: bytes, start: int, label: str, limit: int) -> None:
    """Refuse a deflated data set that inflates to more than ``limit`` bytes, counting in 1 MB
    steps (pydicom inflates it in one piece: a 1.5 MB file could ask for gigabytes)."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending, total = data[start:], 0
    try:
        while pending and not inflater.eof:
            total += len(inflater.decompress(pending, 1 << 20))
            pending = inflater.unconsumed_tail
            if total > limit:
                break
        else:  # all input consumed: only a few bytes can still be buffered (flush inflates
            total += len(inflater.flush())  # whatever input is left, so never after a break)
    except zlib.error:
        return  # not valid deflate data: the reader reports a damaged file
    if total > limit:
        raise ImageTooLargeError(
            _("This image is too large to open."),
            detail=f"{label}: the deflated data set inflates to more than {limit} bytes",
        )


def _read(data: bytes, label: str, has_preamble: bool) -> Dataset:
    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        has_image = any(ds.get(tag) for tag in _PIXEL_DATA_TAGS)  # present and not empty
        looks_dicom = has_preamble or has_image or any(elem.tag.group == 0x0008 for elem in ds)
    except Exception as exc:  # noqa: BLE001
        if not has_preamble:  # only looked like a preamble-less DICOM: it is something else
            raise _not_an_image(label, exc) from exc
        raise corrupt("DICOM", f"{label}: {type(exc).__name__}: {exc}") from exc
    if not looks_dicom:
        raise _not_an_image(label, "no DICOM preamble, pixel data or group 0008 tags")
    if not has_image:
        raise CorruptImageError(
            _(
                "This DICOM file contains no image "
                "(it may be a report or another kind of document)."
            ),
            detail=f"{label}: no (7FE0,0010) Pixel Data",
        )
    meta = getattr(ds, "file_meta", None)
    if meta is None or "TransferSyntaxUID" not in meta:  # preamble-less files often lack it
        meta = meta if meta is not None else FileMetaDataset()
        implicit, little = ds.original_encoding
        if implicit:
            meta.TransferSyntaxUID = ImplicitVRLittleEndian
        else:
            meta.TransferSyntaxUID = ExplicitVRLittleEndian if little else ExplicitVRBigEndian
        ds.file_meta = meta
    return ds


def _not_an_image(label: str, cause: object) -> UnsupportedFileError:
    return UnsupportedFileError(
        _(
            "This file is not an image CXR Desktop can open. "
            "Please choose a chest X-ray saved as {formats}."
        ).format(formats=SUPPORTED_FORMATS_TEXT),
        detail=f"{label}: {cause}",
    )


def _check_header(ds: Dataset, label: str, max_pixels: int) -> tuple[int, int, int]:
    """(rows, columns, frames), after refusing absurd or oversized headers."""
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        allocated = int(ds.get("BitsAllocated", 0) or 0)
        stored = int(ds.get("BitsStored", allocated) or allocated)
    except (AttributeError, TypeError, ValueError) as exc:
        raise corrupt("DICOM", f"{label}: unreadable image size tags: {exc}") from exc
    sane = (
        frames >= 1
        and samples in (1, 3)
        and allocated in (1, 8, 16, 32, 64)
        and 1 <= stored <= allocated
    )
    if not sane:
        raise corrupt(
            "DICOM",
            f"{label}: frames={frames} samples={samples} bits={allocated}/{stored}",
        )
    check_dimensions(columns, rows, max_pixels)  # only the first frame is ever decoded
    return rows, columns, frames


def _check_codestream(ds: Dataset, rows: int, columns: int, frames: int, label: str) -> None:
    """Refuse a compressed first frame whose own header declares another size than the DICOM
    header: the decoders allocate what the codestream declares, so a 9 KB file could ask for
    gigabytes (or, with a JPEG height of 0, grow until the computer runs out of memory)."""
    syntax = ds.file_meta.TransferSyntaxUID
    if not (syntax.is_transfer_syntax and syntax.is_encapsulated):
        return
    try:
        frame = next(generate_frames(ds.PixelData, number_of_frames=frames))
    except Exception:  # noqa: BLE001 - a broken encapsulation: the decoder will say so
        return
    if frame[:2] == b"\xff\xd8":
        check_jpeg_scans(frame, label, megapixels=rows * columns / 1e6)
    declared = _codestream_geometry(frame)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if declared is not None and declared != (columns, rows, samples):
        raise corrupt(
            "DICOM",
            f"{label}: compressed frame declares {declared[0]} x {declared[1]} x {declared[2]}, "
            f"the header {columns} x {rows} x {samples} (columns x rows x samples)",
        )


def _codestream_geometry(data: bytes) -> tuple[int, int, int] | None:
    """(columns, rows, components) from a JPEG, JPEG-LS or JPEG 2000 frame header; None when
    the frame is something else (RLE) or has no readable header (the decoder reports it)."""
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            if marker == 0xFF:  # fill byte
                pos += 1
            elif marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
                pos += 2
            elif marker in _JPEG_SOF:
                if pos + 10 > len(data):
                    return None
                rows, columns = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return columns, rows, data[pos + 9]
            elif marker == 0xDA:  # a scan before any frame header
                return 0, 0, 0
            else:
                pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        return None
    start = 0 if data[:4] == _J2K_SIZ else -1
    if data[4:8] == b"jP  ":  # a JP2 file: the codestream is in its jp2c box
        start = data.find(_J2K_SIZ)
    if start < 0 or start + 42 > len(data):
        return None
    x, y, x0, y0 = struct.unpack(">IIII", data[start + 8 : start + 24])
    (components,) = struct.unpack(">H", data[start + 40 : start + 42])
    return x - x0, y - y0, components


def _decode_first_frame(ds: Dataset, frames: int, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """(pixels, display) of the first frame, shrunk about ``factor`` times (1: full size)."""
    value_range = None
    reduced = decode_reduced_frame(ds, frames, factor) if factor > 1 else None
    if reduced is not None:
        arr, done = reduced
        photometric = str(ds.PhotometricInterpretation).upper()
        factor = max(1, factor // done)  # what the codec's own scaling left to do
    else:
        decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
        arr, info = decoder.as_array(ds, index=0, validate=True, **as_pixel_options(ds))
        photometric = str(
            info.get("photometric_interpretation") or ds.PhotometricInterpretation
        ).upper()
    if photometric == "PALETTE COLOR":
        arr, photometric = apply_color_lut(arr, ds), "RGB"
    elif photometric.startswith("YBR") and arr.ndim == 3:
        arr, photometric = convert_color_space(arr, photometric, "RGB"), "RGB"
    if arr.ndim == 3:
        gray, display = _color_to_gray(arr)
        return box_reduce(gray, factor), box_reduce(display, factor)
    if factor > 1 and "ModalityLUTSequence" not in ds:
        value_range = (float(arr.min()), float(arr.max())) if arr.size else None
        arr = box_reduce(arr, factor)
    values, display = grayscale(arr, ds, photometric == "MONOCHROME1", value_range)
    if factor > 1 and "ModalityLUTSequence" in ds:  # a LUT may not be linear: apply it first
        values, display = box_reduce(values, factor), box_reduce(display, factor)
    return values, display


def _color_to_gray(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = rgb[..., :3]
    if rgb.dtype == np.uint8:  # the same conversion as an RGB PNG gets
        gray = np.array(Image.fromarray(np.ascontiguousarray(rgb)).convert("L"), dtype=np.uint8)
        return gray, gray
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gray = rgb.astype(np.float32) @ weights
    return gray, scale_to_u8(gray)


def _text(ds: Dataset, keyword: str) -> str | None:
    """An optional text tag; None when absent or unreadable (a wrong VR or length in, say, the
    Modality is no reason to refuse the image)."""
    try:
        value = ds.get(keyword)
        if value is None:
            return None
        text = str(value).strip().strip("\x00").strip()
    except Exception:  # noqa: BLE001 - pydicom raises its own types for damaged elements
        return None
    return text or None


def _pixel_spacing(ds: Dataset) -> dict:
    """issue 13: PixelSpacing (at the patient), else ImagerPixelSpacing (at the detector), as
    two positive millimetre values (row, column); nothing when absent or unusable."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        try:
            value = ds.get(keyword)
            spacing = tuple(float(v) for v in value) if value is not None else ()
        except Exception:  # noqa: BLE001 - a damaged tag only loses the measurement in mm
            continue
        if len(spacing) == 2 and all(0.0 < v < 10.0 for v in spacing):
            return {"pixel_spacing_mm": spacing, "pixel_spacing_tag": keyword}
    return {}
