"""Build DICOM files inside the tests with pydicom, so no image file is ever committed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit

DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"


def make_dataset(
    pixels: np.ndarray,
    photometric: str = "MONOCHROME2",
    bits_stored: int | None = None,
    **tags: object,
) -> Dataset:
    """An uncompressed (Explicit VR Little Endian) DX data set holding ``pixels``.

    ``pixels``: (rows, cols), (frames, rows, cols), (rows, cols, 3) or (frames, rows, cols, 3).
    ``tags``: extra elements by keyword, e.g. ``WindowCenter=40, PatientID="X1"``.
    """
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = DX_FOR_PRESENTATION
    ds.Modality = "DX"
    ds.set_pixel_data(pixels, photometric, bits_stored or pixels.dtype.itemsize * 8)
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def to_bytes(ds: Dataset, *, preamble: bool = True) -> bytes:
    """The file's bytes; without ``preamble`` there is no 128-byte preamble and no 'DICM'."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=preamble)
    return buffer.getvalue()


def write(path: Path, ds: Dataset, *, preamble: bool = True) -> Path:
    path.write_bytes(to_bytes(ds, preamble=preamble))
    return path


def jpeg_baseline(gray_u8: np.ndarray, quality: int = 95, **tags: object) -> Dataset:
    """A JPEG Baseline (1.2.840.10008.1.2.4.50) MONOCHROME2 data set, encoded with Pillow."""
    ds = make_dataset(gray_u8, "MONOCHROME2", 8, **tags)
    frame = io.BytesIO()
    Image.fromarray(gray_u8).save(frame, format="JPEG", quality=quality)
    ds.PixelData = encapsulate([frame.getvalue()])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    return ds
