"""load_xray: every encoding gives the training PNGs' 8-bit look; bad files give typed errors."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import struct
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile
from pydicom.dataset import Dataset
from pydicom.pixels import convert_color_space, get_encoder
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless

from cxr_desktop.core import imaging, pillow_decode
from cxr_desktop.core.errors import (
    CorruptImageError,
    CxrError,
    ImageTooLargeError,
    UnsupportedFileError,
)
from cxr_desktop.core.imaging import encode_png, load_xray, load_xray_bytes, sniff_format
from tests.core import dicom_factory as dcm

# -- inputs -------------------------------------------------------------------------------------


def ramp(height: int = 48, width: int = 64, top: int = 255, dtype=np.uint8) -> np.ndarray:
    """A deterministic, asymmetric image whose values span 0..top."""
    y, x = np.mgrid[0:height, 0:width]
    values = (x * 3 + y * 5) % (top + 1)
    values[0, 0], values[-1, -1] = 0, top
    return values.astype(dtype)


def save(path: Path, image: Image.Image, fmt: str, **params) -> Path:
    image.save(path, format=fmt, **params)
    return path


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + payload))
    return struct.pack(">I", len(payload)) + kind + payload + crc


def header_only_png(width: int, height: int, with_idat: bool = False) -> bytes:
    """A PNG signature and a valid IHDR (8-bit grey) declaring width x height, nothing else
    (or only the start of the pixel data: a few bytes of zeros)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = png_chunk(b"IDAT", zlib.compress(bytes(width + 1))) if with_idat else b""
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + idat


def pillow_gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


@pytest.fixture(scope="session")
def training_png(shared_data: Path) -> Path:
    with open(shared_data / "cxr3" / "manifest.csv", newline="", encoding="utf-8") as f:
        first = next(row for row in csv.DictReader(f) if row["split"] == "train")
    return shared_data / "cxr3" / first["file"]


# -- PNG and other Pillow formats ---------------------------------------------------------------


def test_png_8bit_gray_is_taken_as_is(tmp_path: Path) -> None:
    values = ramp()
    path = save(tmp_path / "a.png", Image.fromarray(values), "PNG")
    image = load_xray(path)
    np.testing.assert_array_equal(image.display, values)
    np.testing.assert_array_equal(image.pixels, values)
    assert image.display.dtype == np.uint8 and image.display.ndim == 2
    assert (image.width, image.height) == (64, 48)
    meta = image.metadata
    summary = (meta.format, meta.width, meta.height, meta.bit_depth, meta.photometric, meta.frames)
    assert summary == ("PNG", 64, 48, 8, "L", 1)
    assert image.source_path == str(path)
    assert image.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_8bit_image_stored_as_16bit_v257_gives_the_same_display(tmp_path: Path) -> None:
    values = ramp()
    wide = values.astype(np.uint16) * 257
    path = save(tmp_path / "a.png", Image.fromarray(wide), "PNG")
    image = load_xray(path)
    np.testing.assert_array_equal(image.display, values)
    np.testing.assert_array_equal(image.pixels, wide)
    assert image.pixels.dtype == np.uint16
    assert image.metadata.bit_depth == 16


@pytest.mark.parametrize(
    ("peak", "bits"),
    [(255, 8), (200, 8), (1023, 10), (4095, 12), (3000, 12), (16383, 14), (65535, 16)],
)
def test_16bit_png_is_scaled_by_effective_bit_depth_not_stretched(
    tmp_path: Path, peak: int, bits: int
) -> None:
    values = ramp(top=peak, dtype=np.uint16)
    path = save(tmp_path / "a.png", Image.fromarray(values), "PNG")
    expected = np.floor(values.astype(np.float64) * 255 / (2**bits - 1) + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(load_xray(path).display, expected)


def test_12bit_in_16bit_png(tmp_path: Path) -> None:
    values = np.full((32, 32), 2048, np.uint16)
    values[:, :8], values[:, -8:] = 0, 4095
    display = load_xray(save(tmp_path / "a.png", Image.fromarray(values), "PNG")).display
    assert display[0, 0] == 0 and display[0, -1] == 255 and display[0, 16] == 128


def test_rgb_png_uses_pillow_luma(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rgb = Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8))
    image = load_xray(save(tmp_path / "a.png", rgb, "PNG"))
    np.testing.assert_array_equal(image.display, pillow_gray(rgb))
    assert image.metadata.photometric == "RGB"


def test_rgba_png_drops_alpha(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    rgba[..., 3] = 0  # fully transparent: still the RGB picture, not black
    image = load_xray(save(tmp_path / "a.png", Image.fromarray(rgba), "PNG"))
    np.testing.assert_array_equal(image.display, pillow_gray(Image.fromarray(rgba[..., :3])))


def test_gray_alpha_png_drops_alpha(tmp_path: Path) -> None:
    values = ramp()
    la = Image.merge("LA", [Image.fromarray(values), Image.new("L", (64, 48), 0)])
    np.testing.assert_array_equal(load_xray(save(tmp_path / "a.png", la, "PNG")).display, values)


def test_palette_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    palette = Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)).convert("P")
    image = load_xray(save(tmp_path / "a.png", palette, "PNG"))
    np.testing.assert_array_equal(image.display, pillow_gray(palette))
    assert image.metadata.photometric == "P"


def test_1bit_png_is_black_and_white(tmp_path: Path) -> None:
    bits = Image.fromarray(ramp() > 128)
    assert bits.mode == "1"
    image = load_xray(save(tmp_path / "a.png", bits, "PNG"))
    assert set(np.unique(image.display)) == {0, 255}
    np.testing.assert_array_equal(image.display, (ramp() > 128).astype(np.uint8) * 255)
    assert image.metadata.bit_depth == 1


def test_jpeg_exif_orientation_is_applied(tmp_path: Path) -> None:
    stored = np.zeros((40, 64), np.uint8)  # 64 wide, 40 high, a white block top-left
    stored[:12, :12] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = save(tmp_path / "a.jpg", Image.fromarray(stored), "JPEG", exif=exif, quality=95)
    image = load_xray(path)
    assert image.display.shape == (64, 40)
    assert (image.metadata.width, image.metadata.height) == (40, 64)
    assert image.display[:10, -10:].mean() > 240  # the block is now top-right
    assert image.display[:10, :10].mean() < 15


def test_cmyk_jpeg_becomes_gray(tmp_path: Path) -> None:
    values = ramp()
    path = save(tmp_path / "a.jpg", Image.fromarray(values).convert("CMYK"), "JPEG", quality=95)
    image = load_xray(path)
    assert image.metadata.photometric == "CMYK"
    assert np.abs(image.display.astype(int) - values).mean() < 2.0


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "GIF"])
def test_lossless_8bit_formats(tmp_path: Path, fmt: str) -> None:
    values = ramp()
    image = load_xray(save(tmp_path / "a.img", Image.fromarray(values), fmt))
    np.testing.assert_array_equal(image.display, values)
    assert image.metadata.format == fmt


def test_lossless_webp(tmp_path: Path) -> None:
    values = ramp()
    path = save(tmp_path / "a.webp", Image.fromarray(values), "WEBP", lossless=True)
    assert np.array_equal(load_xray(path).display, values)


@pytest.mark.parametrize("dtype", ["<u2", ">u2"])
def test_16bit_tiff_both_byte_orders(tmp_path: Path, dtype: str) -> None:
    values = ramp()
    wide = (values.astype(np.uint16) * 257).astype(dtype)
    image = load_xray(save(tmp_path / "a.tif", Image.fromarray(wide), "TIFF"))
    np.testing.assert_array_equal(image.display, values)
    assert image.pixels.dtype == np.uint16 and image.metadata.format == "TIFF"


def test_float_tiff_in_unit_range(tmp_path: Path) -> None:
    values = ramp()
    floats = Image.fromarray(values.astype(np.float32) / 255)
    np.testing.assert_array_equal(
        load_xray(save(tmp_path / "a.tif", floats, "TIFF")).display, values
    )


def test_multipage_tiff_takes_the_first_page(tmp_path: Path) -> None:
    first, second = Image.fromarray(ramp()), Image.fromarray(255 - ramp())
    path = save(tmp_path / "a.tif", first, "TIFF", save_all=True, append_images=[second])
    image = load_xray(path)
    np.testing.assert_array_equal(image.display, ramp())
    assert image.metadata.frames == 2


# -- DICOM --------------------------------------------------------------------------------------


def test_dicom_monochrome2_8bit_with_metadata(tmp_path: Path) -> None:
    values = ramp()
    ds = dcm.make_dataset(
        values,
        PatientID="P-0042",
        PatientName="Doe^Jane",
        StudyDate="20240131",
        BodyPartExamined="CHEST",
        ViewPosition="PA",
    )
    image = load_xray(dcm.write(tmp_path / "a.dcm", ds))
    np.testing.assert_array_equal(image.display, values)
    np.testing.assert_array_equal(image.pixels, values)
    meta = image.metadata
    summary = (meta.format, meta.width, meta.height, meta.bit_depth, meta.photometric, meta.frames)
    assert summary == ("DICOM", 64, 48, 8, "MONOCHROME2", 1)
    assert (meta.patient_id, meta.patient_name, meta.study_date) == (
        "P-0042",
        "Doe^Jane",
        "20240131",
    )
    assert (meta.modality, meta.body_part, meta.view_position) == ("DX", "CHEST", "PA")


def test_dicom_without_patient_tags_has_none_metadata(tmp_path: Path) -> None:
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.make_dataset(ramp())))
    assert image.metadata.patient_id is None and image.metadata.patient_name is None


def test_dicom_monochrome1_is_inverted(tmp_path: Path) -> None:
    values = ramp()
    stored = 255 - values
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.make_dataset(stored, "MONOCHROME1")))
    np.testing.assert_array_equal(image.display, values)
    np.testing.assert_array_equal(image.pixels, int(stored.max()) + int(stored.min()) - stored)
    assert image.metadata.photometric == "MONOCHROME1"


@pytest.mark.parametrize(("bits", "peak"), [(12, 3000), (16, 60000)])
def test_dicom_without_window_is_min_max_stretched(tmp_path: Path, bits: int, peak: int) -> None:
    stored = (ramp(top=255, dtype=np.uint16) * (peak // 255) + 100).astype(np.uint16)
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.make_dataset(stored, bits_stored=bits)))
    low, high = float(stored.min()), float(stored.max())
    expected = np.floor((stored - low) * 255 / (high - low) + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(image.display, expected)
    np.testing.assert_array_equal(image.pixels, stored)
    assert image.metadata.bit_depth == bits


def test_dicom_12bit_monochrome1_without_window(tmp_path: Path) -> None:
    stored = ramp(top=4095, dtype=np.uint16)
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.make_dataset(stored, "MONOCHROME1", 12)))
    expected = 255 - np.floor(stored * 255.0 / 4095 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(image.display, expected)
    np.testing.assert_array_equal(image.pixels, 4095 - stored)


def test_dicom_rescale_and_window(tmp_path: Path) -> None:
    stored = np.zeros((32, 32), np.uint16)
    stored[:, 8:16], stored[:, 16:24], stored[:, 24:] = 1000, 1100, 3000
    # values = 2 * stored - 2000: 0 / -2000 ... window centre 200 width 801 -> [-200, 600]
    ds = dcm.make_dataset(
        stored, bits_stored=12, RescaleSlope=2, RescaleIntercept=-2000,
        WindowCenter=200, WindowWidth=801,
    )  # fmt: skip
    image = load_xray(dcm.write(tmp_path / "a.dcm", ds))
    assert image.pixels.dtype == np.float32
    np.testing.assert_allclose(image.pixels, stored * 2.0 - 2000)
    row = image.display[0]
    assert row[0] == 0  # -2000 is below the window
    assert row[8] == 64  # 0: ((0 - 199.5) / 800 + 0.5) * 255 = 63.8
    assert row[16] == 128  # 200: the centre
    assert row[24] == 255  # 4000 is above the window


def test_dicom_first_of_several_windows_is_used(tmp_path: Path) -> None:
    stored = ramp(top=4095, dtype=np.uint16)
    ds = dcm.make_dataset(stored, bits_stored=12, WindowCenter=[1024, 3000], WindowWidth=[2049, 10])
    display = load_xray(dcm.write(tmp_path / "a.dcm", ds)).display
    expected = np.clip(((stored - 1023.5) / 2048 + 0.5) * 255, 0, 255)
    np.testing.assert_array_equal(display, np.floor(expected + 0.5).astype(np.uint8))


@pytest.mark.parametrize("function", ["LINEAR_EXACT", "SIGMOID"])
def test_dicom_voi_lut_functions(tmp_path: Path, function: str) -> None:
    stored = ramp(top=4095, dtype=np.uint16)
    ds = dcm.make_dataset(
        stored, bits_stored=12, WindowCenter=2048, WindowWidth=1024, VOILUTFunction=function
    )
    display = load_xray(dcm.write(tmp_path / "a.dcm", ds)).display.astype(float)
    x = stored.astype(float)
    if function == "SIGMOID":
        expected = 255 / (1 + np.exp(-4 * (x - 2048) / 1024))
    else:
        expected = np.clip(((x - 2048) / 1024 + 0.5) * 255, 0, 255)
    assert np.abs(display - expected).max() <= 0.51


def _voi_lut_item(data: list[int], bits: int, first: int = 0) -> Dataset:
    item = Dataset()
    item.LUTDescriptor = [len(data), first, bits]
    item.LUTData = data
    item["LUTData"].VR = "US"
    return item


@pytest.mark.parametrize("lut_bits", [8, 12])
def test_dicom_voi_lut_sequence_wins_over_the_window(tmp_path: Path, lut_bits: int) -> None:
    stored = ramp(top=4095, dtype=np.uint16)
    codes = np.arange(4096)
    lut = (4095 - codes) if lut_bits == 12 else (255 - codes // 16)  # an inverting LUT
    ds = dcm.make_dataset(stored, bits_stored=12, WindowCenter=100, WindowWidth=10)
    ds.VOILUTSequence = [_voi_lut_item([int(v) for v in lut], lut_bits)]
    display = load_xray(dcm.write(tmp_path / "a.dcm", ds)).display
    top = 2**lut_bits - 1
    expected = np.floor(lut[stored] * 255.0 / top + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(display, expected)


def test_dicom_multiframe_takes_the_first_frame(tmp_path: Path) -> None:
    frames = np.stack([ramp(), 255 - ramp(), np.zeros((48, 64), np.uint8)])
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.make_dataset(frames)))
    np.testing.assert_array_equal(image.display, ramp())
    assert image.metadata.frames == 3


def test_dicom_rgb(tmp_path: Path) -> None:
    rgb = np.random.default_rng(4).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.make_dataset(rgb, "RGB")))
    np.testing.assert_array_equal(image.display, pillow_gray(Image.fromarray(rgb)))
    assert image.metadata.photometric == "RGB"


def test_dicom_ybr_full(tmp_path: Path) -> None:
    rgb = np.random.default_rng(5).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    ybr = convert_color_space(rgb, "RGB", "YBR_FULL")
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.make_dataset(ybr, "YBR_FULL")))
    assert np.abs(image.display.astype(int) - pillow_gray(Image.fromarray(rgb))).max() <= 2


def test_dicom_palette_color(tmp_path: Path) -> None:
    values = ramp()
    ds = dcm.make_dataset(values, "PALETTE COLOR")
    ramp16 = (np.arange(256, dtype="<u2") * 257).tobytes()
    for color in ("Red", "Green", "Blue"):
        setattr(ds, f"{color}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(ds, f"{color}PaletteColorLookupTableData", ramp16)
    image = load_xray(dcm.write(tmp_path / "a.dcm", ds))
    assert np.abs(image.display.astype(int) - values).max() <= 1


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless, JPEGLSLossless], ids=str)
def test_dicom_lossless_compression(tmp_path: Path, syntax) -> None:
    if not get_encoder(syntax).is_available:
        pytest.skip(f"no {syntax.name} encoder installed (decoding is still supported)")
    stored = ramp(top=4095, dtype=np.uint16)
    ds = dcm.make_dataset(stored, bits_stored=12, WindowCenter=2048, WindowWidth=4096)
    plain = load_xray(dcm.write(tmp_path / "plain.dcm", ds))
    ds.compress(syntax)
    packed = load_xray(dcm.write(tmp_path / "packed.dcm", ds))
    np.testing.assert_array_equal(packed.pixels, stored)
    np.testing.assert_array_equal(packed.display, plain.display)


def test_dicom_jpeg_baseline(tmp_path: Path) -> None:
    values = ramp()
    image = load_xray(dcm.write(tmp_path / "a.dcm", dcm.jpeg_baseline(values)))
    pillow = load_xray(save(tmp_path / "a.jpg", Image.fromarray(values), "JPEG", quality=95))
    assert np.abs(image.display.astype(int) - pillow.display).max() <= 2
    assert np.abs(image.display.astype(int) - values).mean() < 2.0


def test_dicom_without_preamble(tmp_path: Path) -> None:
    data = dcm.to_bytes(dcm.make_dataset(ramp()), preamble=False)
    assert data[128:132] != b"DICM"
    image = load_xray_bytes(data)
    assert image.metadata.format == "DICOM"
    np.testing.assert_array_equal(image.display, ramp())


def test_dicom_without_preamble_or_file_meta(tmp_path: Path) -> None:
    ds = dcm.make_dataset(ramp())
    del ds.file_meta
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True)
    np.testing.assert_array_equal(load_xray_bytes(buffer.getvalue()).display, ramp())


def test_format_comes_from_content_not_extension(tmp_path: Path) -> None:
    dicom_named_png = dcm.write(tmp_path / "scan.png", dcm.make_dataset(ramp()))
    png_named_dcm = save(tmp_path / "scan.dcm", Image.fromarray(ramp()), "PNG")
    assert load_xray(dicom_named_png).metadata.format == "DICOM"
    assert load_xray(png_named_dcm).metadata.format == "PNG"


# -- the same radiograph in several encodings ---------------------------------------------------


def test_training_png_loads_exactly(training_png: Path) -> None:
    image = load_xray(training_png)
    with Image.open(training_png) as original:
        np.testing.assert_array_equal(image.display, np.asarray(original))
    assert image.display.shape == (224, 224)


def test_same_radiograph_in_several_encodings(training_png: Path, tmp_path: Path) -> None:
    with Image.open(training_png) as original:
        values = np.array(original.convert("L"))
    files = {
        "png8": save(tmp_path / "a.png", Image.fromarray(values), "PNG"),
        "png16": save(tmp_path / "b.png", Image.fromarray(values.astype(np.uint16) * 257), "PNG"),
        "rgb": save(tmp_path / "c.png", Image.fromarray(values).convert("RGB"), "PNG"),
        "bmp": save(tmp_path / "d.bmp", Image.fromarray(values), "BMP"),
        "tiff16": save(tmp_path / "e.tif", Image.fromarray(values.astype(np.uint16) * 257), "TIFF"),
        "dicom": dcm.write(tmp_path / "f.dcm", dcm.make_dataset(values)),
        "dicom_mono1": dcm.write(tmp_path / "g.dcm", dcm.make_dataset(255 - values, "MONOCHROME1")),
    }
    for name, path in files.items():
        display = load_xray(path).display
        assert display.shape == values.shape, name
        assert np.abs(display.astype(int) - values).max() <= 1, name


def test_every_full_resolution_sample_loads(samples_dir: Path) -> None:
    files = sorted(p for p in samples_dir.rglob("*") if p.is_file() and p.suffix != ".csv")
    assert len(files) >= 12
    for path in files:
        image = load_xray(path)
        assert image.display.dtype == np.uint8 and image.display.ndim == 2, path.name
        assert image.pixels.shape == image.display.shape, path.name
        assert image.metadata.format == "JPEG", path.name
        assert min(image.display.shape) >= 200, path.name
        assert 10 < image.display.mean() < 245, path.name


# -- bad input ----------------------------------------------------------------------------------


def assert_readable(error: CxrError) -> None:
    """A message for a nurse: no exception names or internals in the headline; detail is set."""
    for jargon in ("Error", "Exception", "Traceback", "errno", "0x", "IHDR", "pydicom", "PIL"):
        assert jargon not in error.message, error.message
    assert error.message.endswith((".", ")"))
    assert error.detail


def test_zero_byte_file(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.raises(CorruptImageError, match="empty") as info:
        load_xray(tmp_path / "a.png")
    assert_readable(info.value)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(tmp_path: Path, fmt: str) -> None:
    buffer = io.BytesIO()
    Image.fromarray(ramp(256, 256)).save(buffer, format=fmt)
    data = buffer.getvalue()
    (tmp_path / "a.img").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptImageError, match="damaged or incomplete") as info:
        load_xray(tmp_path / "a.img")
    assert_readable(info.value)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_dicom(tmp_path: Path) -> None:
    data = dcm.to_bytes(dcm.make_dataset(ramp(256, 256)))
    with pytest.raises(CorruptImageError) as info:
        load_xray_bytes(data[: len(data) // 2])
    assert_readable(info.value)


@pytest.mark.parametrize(
    "content",
    [
        b"Patient notes: chest pain for 3 days.\n" * 10,
        np.random.default_rng(6).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        b"MZ\x90\x00" + bytes(1000),  # a Windows program
        b"%PDF-1.7\n" + bytes(500),
    ],
    ids=["text", "random", "exe", "pdf"],
)
def test_not_an_image(tmp_path: Path, content: bytes) -> None:
    assert sniff_format(content) is None
    (tmp_path / "a.png").write_bytes(content)
    with pytest.raises(UnsupportedFileError, match="not an image") as info:
        load_xray(tmp_path / "a.png")
    assert_readable(info.value)


def test_zip_file(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("scan.png", png_bytes(Image.fromarray(ramp())))
    with pytest.raises(UnsupportedFileError):
        load_xray(tmp_path / "a.zip")


@pytest.mark.parametrize("with_idat", [False, True], ids=["header", "idat"])
@pytest.mark.parametrize("side", [100_000, 10_000, 7100])
def test_image_bomb_is_refused_before_decoding(tmp_path: Path, side: int, with_idat: bool) -> None:
    (tmp_path / "bomb.png").write_bytes(header_only_png(side, side, with_idat))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ImageTooLargeError) as info:
            load_xray(tmp_path / "bomb.png")
    assert not caught  # Pillow's DecompressionBombWarning does not leak
    assert_readable(info.value)


def test_max_pixels_is_honoured() -> None:
    png = png_bytes(Image.fromarray(ramp(64, 64)))
    with pytest.raises(ImageTooLargeError, match="too large"):
        load_xray_bytes(png, max_pixels=64 * 63)
    assert load_xray_bytes(png, max_pixels=64 * 64).width == 64


def test_tiny_image_is_refused() -> None:
    with pytest.raises(UnsupportedFileError, match="too small") as info:
        load_xray_bytes(png_bytes(Image.fromarray(ramp(8, 64))))
    assert_readable(info.value)


def test_dicom_without_pixel_data(tmp_path: Path) -> None:
    ds = dcm.make_dataset(ramp())
    del ds.PixelData
    with pytest.raises(CorruptImageError, match="contains no image") as info:
        load_xray(dcm.write(tmp_path / "report.dcm", ds))
    assert_readable(info.value)


def test_dicom_declaring_a_huge_image(tmp_path: Path) -> None:
    ds = dcm.make_dataset(ramp())
    ds.Rows, ds.Columns = 60000, 60000
    with pytest.raises(ImageTooLargeError):
        load_xray(dcm.write(tmp_path / "a.dcm", ds))
    with pytest.raises(ImageTooLargeError):
        load_xray_bytes(dcm.to_bytes(dcm.make_dataset(ramp(64, 64))), max_pixels=1000)


@pytest.mark.parametrize(
    "tags",
    [
        {"BitsAllocated": 7},
        {"SamplesPerPixel": 4},
        {"BitsStored": 12},  # more than the 8 allocated
        {"NumberOfFrames": -3},
        {"Rows": 0},
        {"Rows": 4096},  # far more rows than the pixel data holds
    ],
    ids=str,
)
def test_dicom_with_absurd_tags(tmp_path: Path, tags: dict) -> None:
    ds = dcm.make_dataset(ramp())
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    with pytest.raises(CorruptImageError) as info:
        load_xray(dcm.write(tmp_path / "a.dcm", ds))
    assert_readable(info.value)


def test_dicm_magic_followed_by_garbage() -> None:
    data = bytes(128) + b"DICM" + np.random.default_rng(7).bytes(2000)
    with pytest.raises(CorruptImageError) as info:
        load_xray_bytes(data)
    assert_readable(info.value)


def test_dicom_with_empty_pixel_data(tmp_path: Path) -> None:
    ds = dcm.make_dataset(ramp())
    ds.PixelData = b""
    with pytest.raises(CorruptImageError, match="contains no image"):
        load_xray(dcm.write(tmp_path / "a.dcm", ds))


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match="folder") as info:
        load_xray(tmp_path)
    assert_readable(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match="could not be found") as info:
        load_xray(tmp_path / "nope.png")
    assert_readable(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs on Windows")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UnsupportedFileError):
        load_xray(tmp_path / "pipe")


def test_file_over_the_size_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save(tmp_path / "a.png", Image.fromarray(ramp()), "PNG")
    monkeypatch.setattr(imaging, "MAX_FILE_BYTES", 100)
    with pytest.raises(ImageTooLargeError, match="file is too large"):
        load_xray(path)


def test_unexpected_decoder_failure_becomes_corrupt_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_image, _factor=1):
        raise RuntimeError("decoder bug")

    monkeypatch.setattr(pillow_decode, "_to_gray", boom)
    with pytest.raises(CorruptImageError) as info:
        load_xray(save(tmp_path / "a.png", Image.fromarray(ramp()), "PNG"))
    assert "decoder bug" in info.value.detail


# -- load_xray_bytes and encode_png -------------------------------------------------------------


def test_load_xray_bytes_matches_load_xray(tmp_path: Path) -> None:
    path = save(tmp_path / "a.png", Image.fromarray(ramp()), "PNG")
    from_file, from_bytes = load_xray(path), load_xray_bytes(path.read_bytes(), "upload.png")
    np.testing.assert_array_equal(from_file.display, from_bytes.display)
    assert from_bytes.sha256 == from_file.sha256
    assert from_bytes.source_path == "upload.png"


@pytest.mark.parametrize(
    ("shape", "max_side", "expected"),
    [((1000, 2000), 512, (256, 512)), ((3000, 1000), 96, (96, 32)), ((50, 100), 512, (50, 100))],
)
def test_encode_png_shrinks_never_enlarges(shape, max_side, expected) -> None:
    gray = np.random.default_rng(8).integers(0, 256, shape, dtype=np.uint8)
    with Image.open(io.BytesIO(encode_png(gray, max_side))) as png:
        assert png.format == "PNG" and png.mode == "L"
        assert (png.height, png.width) == expected
        if shape == expected:
            np.testing.assert_array_equal(np.asarray(png), gray)


def test_encode_png_rejects_non_gray_input() -> None:
    with pytest.raises(ValueError):
        encode_png(np.zeros((10, 10, 3), np.uint8), 96)
    with pytest.raises(ValueError):
        encode_png(np.zeros((10, 10), np.float32), 96)
