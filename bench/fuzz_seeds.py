"""The well-formed files the fuzzer mutates: one real radiograph in every encoding the app reads.

A real sample JPEG is used as is; the other seeds are the same radiograph, shrunk to about
256 pixels (small seeds keep each case fast), re-encoded as PNG (8 and 16-bit, palette), TIFF
(plain, 16-bit LZW, 16-bit deflate, two pages), BMP (8 and 24-bit), GIF, WebP and DICOM
(uncompressed 12-bit with window and rescale, implicit VR without preamble, MONOCHROME1 with a
VOI LUT, palette colour, deflated, RLE, JPEG 2000, JPEG baseline).
Nothing is written to disk; without the shared samples a synthetic radiograph-like image is used.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

SEED_SIDE = 256


def source_image(samples_dir: Path | None) -> tuple[np.ndarray, bytes | None]:
    """(a grey radiograph about SEED_SIDE px on its long side, the smallest real JPEG's bytes)."""
    jpegs = []
    if samples_dir is not None and samples_dir.is_dir():
        jpegs = sorted(
            (p for p in samples_dir.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg")),
            key=lambda p: (p.stat().st_size, p.name),
        )
    if not jpegs:
        return _synthetic(), None
    with Image.open(jpegs[len(jpegs) // 2]) as im:  # a mid-sized one as the picture
        gray = im.convert("L")
        gray.thumbnail((SEED_SIDE, SEED_SIDE), Image.Resampling.LANCZOS)
        picture = np.asarray(gray, dtype=np.uint8)
    return picture, jpegs[0].read_bytes()


def _synthetic() -> np.ndarray:
    y, x = np.mgrid[0:200, 0:SEED_SIDE].astype(np.float32)
    lungs = np.exp(-(((x - 80) / 40) ** 2 + ((y - 100) / 60) ** 2))
    lungs += np.exp(-(((x - 176) / 40) ** 2 + ((y - 100) / 60) ** 2))
    noise = np.random.default_rng(0).normal(0, 8, y.shape)
    return np.clip(200 - 150 * lungs + noise, 0, 255).astype(np.uint8)


def _pillow(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def build_seeds(samples_dir: Path | None) -> dict[str, bytes]:
    """name -> file bytes. The name starts with the format (``jpeg-``, ``png-``, ``dcm-`` ...)."""
    picture, real_jpeg = source_image(samples_dir)
    gray = Image.fromarray(picture)
    wide = (picture.astype(np.uint16) * 16 + 7).astype(np.uint16)  # 12-bit values
    seeds: dict[str, bytes] = {}
    if real_jpeg is not None:
        seeds["jpeg-real"] = real_jpeg
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    seeds["jpeg-progressive-exif"] = _pillow(
        gray, "JPEG", quality=90, progressive=True, exif=exif.tobytes()
    )
    seeds["png-8bit"] = _pillow(gray, "PNG")
    seeds["png-16bit"] = _pillow(Image.fromarray(wide), "PNG")
    seeds["tiff-8bit"] = _pillow(gray, "TIFF")
    seeds["tiff-16bit-lzw"] = _pillow(Image.fromarray(wide), "TIFF", compression="tiff_lzw")
    seeds["tiff-2page"] = _pillow(
        gray, "TIFF", save_all=True, append_images=[Image.fromarray(255 - picture)]
    )
    seeds["tiff-16bit-deflate"] = _pillow(Image.fromarray(wide), "TIFF",
                                          compression="tiff_adobe_deflate")
    seeds["bmp-8bit"] = _pillow(gray, "BMP")
    seeds["bmp-24bit"] = _pillow(gray.convert("RGB"), "BMP")
    seeds["png-palette"] = _pillow(gray.quantize(64), "PNG")
    seeds["gif"] = _pillow(gray, "GIF")
    seeds["webp-lossless"] = _pillow(gray, "WEBP", lossless=True)
    seeds.update(_dicom_seeds(picture, wide))
    return seeds


def _dicom_seeds(picture: np.ndarray, wide: np.ndarray) -> dict[str, bytes]:
    from pydicom.encaps import encapsulate
    from pydicom.pixels import get_encoder
    from pydicom.sequence import Sequence
    from pydicom.uid import (
        DeflatedExplicitVRLittleEndian,
        JPEG2000Lossless,
        JPEGBaseline8Bit,
        RLELossless,
    )

    seeds: dict[str, bytes] = {}
    raw = _dataset(wide, bits_stored=12, WindowCenter=2048, WindowWidth=4000,
                   RescaleSlope=1, RescaleIntercept=-1024, PatientID="FUZZ-1",
                   PatientName="Fuzz^Seed", StudyDate="20260101")
    seeds["dcm-raw-12bit"] = _dicom_bytes(raw)
    implicit = _dataset(picture, bits_stored=8)
    del implicit.file_meta
    seeds["dcm-implicit-nopreamble"] = _dicom_bytes(implicit, preamble=False, implicit=True)
    mono1 = _dataset(wide, photometric="MONOCHROME1", bits_stored=12)
    item = _item(LUTDescriptor=[4096, 0, 12])
    item.LUTData = [int(v) for v in np.arange(4096)[::-1]]
    item["LUTData"].VR = "US"
    mono1.VOILUTSequence = Sequence([item])
    seeds["dcm-mono1-voilut"] = _dicom_bytes(mono1)
    palette = _dataset(picture, photometric="PALETTE COLOR", bits_stored=8)
    ramp16 = (np.arange(256, dtype="<u2") * 257).tobytes()
    for color in ("Red", "Green", "Blue"):
        setattr(palette, f"{color}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(palette, f"{color}PaletteColorLookupTableData", ramp16)
    seeds["dcm-palette"] = _dicom_bytes(palette)
    for name, syntax in (("dcm-rle", RLELossless), ("dcm-j2k", JPEG2000Lossless)):
        if get_encoder(syntax).is_available:
            ds = _dataset(wide, bits_stored=12, WindowCenter=2048, WindowWidth=4096)
            ds.compress(syntax)
            seeds[name] = _dicom_bytes(ds)
    deflated = _dataset(picture, bits_stored=8, WindowCenter=128, WindowWidth=256)
    deflated.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    seeds["dcm-deflated"] = _dicom_bytes(deflated)
    baseline = _dataset(picture, bits_stored=8)
    baseline.PixelData = encapsulate([_pillow(Image.fromarray(picture), "JPEG", quality=90)])
    baseline["PixelData"].VR = "OB"
    baseline.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    baseline.PhotometricInterpretation = "MONOCHROME2"
    seeds["dcm-jpeg-baseline"] = _dicom_bytes(baseline)
    return seeds


def _dataset(pixels: np.ndarray, photometric: str = "MONOCHROME2", bits_stored: int = 8, **tags):
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # DX for presentation
    ds.Modality = "DX"
    ds.set_pixel_data(pixels, photometric, bits_stored)
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def _item(**tags):
    from pydicom.dataset import Dataset

    item = Dataset()
    for keyword, value in tags.items():
        setattr(item, keyword, value)
    return item


def _dicom_bytes(ds, *, preamble: bool = True, implicit: bool = False) -> bytes:
    buffer = io.BytesIO()
    if implicit:
        ds.save_as(buffer, implicit_vr=True, little_endian=True)
    else:
        ds.save_as(buffer, enforce_file_format=preamble)
    return buffer.getvalue()
