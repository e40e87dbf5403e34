"""The 16-bit grey PNG route (core/png_inflate.py): Pillow's pixels bit for bit, the usual typed
errors for broken files, no thread left behind, no inflating past the image's size."""

from __future__ import annotations

import io
import struct
import threading
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from cxr_desktop.core.errors import CorruptImageError
from cxr_desktop.core.imaging import load_xray_bytes
from cxr_desktop.core.png_inflate import png_stream


def _png(array: np.ndarray, **params) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG", **params)
    return buffer.getvalue()


def _pillow(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.array(im)


def _wide(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    smooth = np.cumsum(rng.integers(-40, 41, (height, width)), axis=1) % 4096
    return smooth.astype(np.uint16)


@pytest.mark.parametrize("shape", [(16, 16), (300, 517), (1100, 900)])
@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_same_pixels_as_pillow(shape, level) -> None:
    data = _png(_wide(*shape), compress_level=level)
    assert png_stream(data) is not None
    with Image.open(png_stream(data), formats=["PNG"]) as im:
        np.testing.assert_array_equal(np.array(im), _pillow(data))
    np.testing.assert_array_equal(load_xray_bytes(data).pixels, _pillow(data))


def test_text_after_the_pixels_and_exif_orientation_survive() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "after")
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _png(_wide(40, 60), pnginfo=info, exif=exif.tobytes())
    image = load_xray_bytes(data)
    assert image.display.shape == (60, 40)  # rotated
    with Image.open(png_stream(data), formats=["PNG"]) as im:
        im.load()
        assert im.text.get("Comment") == "after"


def test_only_16bit_grey_non_interlaced_pngs_take_the_route() -> None:
    assert png_stream(_png(_wide(20, 20).astype(np.uint8))) is None
    assert png_stream(_png(np.zeros((20, 20, 3), np.uint8))) is None
    interlaced = bytearray(_png(_wide(20, 20)))
    interlaced[28] = 1
    assert png_stream(bytes(interlaced)) is None
    assert png_stream(b"not a png at all, really not") is None


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(
        ">I", zlib.crc32(kind + payload))


def test_a_zlib_bomb_inflates_no_further_than_the_image() -> None:
    width, height = 64, 64
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    bomb = zlib.compress(bytes(256 << 20), 9)  # 256 MB of zeros: filter 0, black rows
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", bomb)
            + _chunk(b"IEND", b""))
    image = load_xray_bytes(data)
    assert image.display.shape == (64, 64) and int(image.pixels.max()) == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "no-iend"])
def test_broken_files_give_the_usual_outcome(damage) -> None:
    data = bytearray(_png(_wide(200, 300), compress_level=6))
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        for at in range(200, len(data) - 20, 97):
            data[at] ^= 0x5A
    else:
        data = data[:-12]
    plain: object
    try:
        plain = _pillow(bytes(data)).shape
        Image.open(io.BytesIO(bytes(data))).load()
    except Exception as exc:  # noqa: BLE001
        plain = type(exc)
    try:
        ours: object = load_xray_bytes(bytes(data)).pixels.shape
    except CorruptImageError:
        ours = "CorruptImageError"
    if isinstance(plain, tuple):
        assert ours == plain
    else:
        assert ours == "CorruptImageError"


def test_no_thread_is_left_running() -> None:
    data = _png(_wide(500, 500))
    before = threading.active_count()
    for _ in range(5):
        load_xray_bytes(data)
        with pytest.raises(CorruptImageError):
            load_xray_bytes(data[:5000] + bytes(100))
    assert threading.active_count() <= before + 1  # the sha256 helper may have started
