"""Files built to keep a decoder busy (issue 14, finding 1), generated in memory, never committed.

Used by the regression tests and by the fuzzer's families (bench/fuzz_families.py).
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image


def progressive_jpeg(side: int = 512, *, flat: bool = True, seed: int = 0) -> bytes:
    """A progressive 8-bit grey JPEG (libjpeg's script: 6 scans); flat grey or smooth noise."""
    if flat:
        image = Image.new("L", (side, side), 128)
    else:
        rng = np.random.default_rng(seed)
        coarse = rng.normal(128, 30, (side // 16 + 1, side // 16 + 1)).clip(0, 255)
        image = Image.fromarray(coarse.astype(np.uint8)).resize((side, side), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, progressive=True)
    return buffer.getvalue()


def scan_starts(jpeg: bytes) -> list[int]:
    starts, pos = [], jpeg.find(b"\xff\xda")
    while pos >= 0:
        starts.append(pos)
        pos = jpeg.find(b"\xff\xda", pos + 2)
    return starts


def repeat_last_scan(jpeg: bytes, times: int) -> bytes:
    """The JPEG with its last scan (header and entropy-coded data) repeated ``times`` more
    times before EOI: libjpeg only warns, and decodes each one over the whole image."""
    end = jpeg.rfind(b"\xff\xd9")
    last = jpeg[scan_starts(jpeg)[-1] : end]
    return jpeg[:end] + last * times + b"\xff\xd9"


def with_frame_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The JPEG with its frame header (SOF) declaring another size."""
    buf = bytearray(jpeg)
    for marker in (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2"):
        at = buf.find(marker)
        if at >= 0:
            buf[at + 5 : at + 9] = struct.pack(">HH", height, width)
            return bytes(buf)
    raise ValueError("no frame header")


def small_tiff() -> bytes:
    buffer = io.BytesIO()
    ramp = (np.arange(64 * 64).reshape(64, 64) % 251).astype(np.uint8)
    Image.fromarray(ramp).save(buffer, "TIFF")
    return buffer.getvalue()


def tiff_with_strips(count: int) -> bytes:
    """A little-endian 64 x ``count`` grey TIFF with one row per strip: ``count`` strip offsets
    and byte counts (a million strips: an 8 MB file)."""
    width, rows = 64, count
    entries = [
        (256, 4, 1, width), (257, 4, 1, rows), (258, 3, 1, 8), (259, 3, 1, 1),
        (262, 3, 1, 1), (273, 4, count, None), (277, 3, 1, 1), (278, 4, 1, 1),
        (279, 4, count, None),
    ]
    ifd_at = 8
    ifd_size = 2 + 12 * len(entries) + 4
    offsets_at = ifd_at + ifd_size
    counts_at = offsets_at + 4 * count
    pixels_at = counts_at + 4 * count
    ifd = struct.pack("<H", len(entries))
    for tag, kind, n, value in entries:
        if value is None:
            value = offsets_at if tag == 273 else counts_at
        ifd += struct.pack("<HHII", tag, kind, n, value)
    ifd += struct.pack("<I", 0)
    offsets = np.full(count, pixels_at, dtype="<u4")  # every strip: the same 64 zero bytes
    byte_counts = np.full(count, width, dtype="<u4")
    return (b"II*\x00" + struct.pack("<I", ifd_at) + ifd + offsets.tobytes()
            + byte_counts.tobytes() + bytes(width))


def tiff_with_chained_ifds(extra: int) -> bytes:
    """A valid 64 x 64 TIFF followed by ``extra`` more pages, each a copy of the first page's
    directory (same tags, same pixel data), chained one after the other."""
    base = bytearray(small_tiff())
    (first,) = struct.unpack("<I", base[4:8])
    (entries,) = struct.unpack("<H", base[first : first + 2])
    table = bytes(base[first : first + 2 + 12 * entries])
    next_at = first + 2 + 12 * entries
    size = len(table) + 4
    start = len(base) + (len(base) % 2)
    base += bytes(start - len(base))
    chain = bytearray()
    for i in range(extra):
        following = start + (i + 1) * size if i + 1 < extra else 0
        chain += table + struct.pack("<I", following)
    base[next_at : next_at + 4] = struct.pack("<I", start)
    return bytes(base + chain)
