"""Cheap refusals before any pixel is decoded: files built to keep a decoder busy for minutes.

Each check reads only the file's structure (markers, IFD headers), in milliseconds, and raises
:class:`~cxr_desktop.core.errors.ImageTooComplexError` with a sentence for the user:

- **JPEG**: more than :data:`MAX_JPEG_SCANS` scans, or more scan work than
  :data:`MAX_JPEG_SCAN_MEGAPIXELS` (scans x megapixels). libjpeg decodes every scan over the
  whole image and only warns about a repeated one: a 346 KB progressive file whose last scan is
  repeated thousands of times took 49 s, a 7000 x 7000 one never finished. Radiographs have 1
  (baseline) to about 12 (progressive) scans.
- **TIFF**: more than :data:`MAX_TIFF_IFDS` pages (image file directories) in the chain, more
  than :data:`MAX_TIFF_ENTRIES` tags in one, or more than :data:`MAX_TIFF_CHUNKS` strips or
  tiles in the first page: Pillow reads every offset of every page it is asked about (a million
  strips or 20,000 chained pages: seconds and hundreds of MB before it refused). Only the first
  page is ever decoded; its page count comes from :func:`tiff_page_count`.

The watchdog (:mod:`cxr_desktop.core.decode_guard`) still bounds whatever gets past these.
"""

from __future__ import annotations

import struct

from cxr_desktop.core.errors import ImageTooComplexError
from cxr_desktop.i18n import _

#: A baseline JPEG has one scan per component (<= 4), libjpeg's progressive script 6 (grey) or
#: 10 (colour), optimising encoders a few more.
MAX_JPEG_SCANS = 100
#: Scans x megapixels: 20 scans of a 50 MP image; about 2-4 s of decoding on one core here.
MAX_JPEG_SCAN_MEGAPIXELS = 1000.0
MAX_TIFF_IFDS = 1024
MAX_TIFF_ENTRIES = 4096
#: Strips (or tiles) of the first page: a 7000-row image with one row per strip and three
#: planes has 21,000.
MAX_TIFF_CHUNKS = 65536

_SOS = b"\xff\xda"
_STRIP_AND_TILE_TAGS = {273: "strips", 279: "strips", 324: "tiles", 325: "tiles"}


def check_structure(data: bytes, fmt: str, label: str) -> None:
    """Refuse ``data`` (an image file of format ``fmt``) when its structure is pathological."""
    if fmt == "JPEG":
        check_jpeg_scans(data, label)
    elif fmt == "TIFF":
        tiff_page_count(data, label)


def _too_complex(label: str, why: str) -> ImageTooComplexError:
    return ImageTooComplexError(
        _(
            "This image file is built in a way no X-ray machine uses, and opening it could keep "
            "the computer busy for minutes, so it was not opened. Ask for the image again as a "
            "standard file."
        ),
        detail=f"{label}: {why}",
    )


def check_jpeg_scans(data: bytes, label: str, megapixels: float | None = None) -> int:
    """The number of scans (SOS markers) in a JPEG; raises when there are too many for its size.

    A marker cannot occur inside entropy-coded data (0xFF is stuffed with 0x00 there), so
    counting the SOS marker bytes counts the scans (an EXIF thumbnail adds its own one).
    """
    scans = data.count(_SOS)
    if scans > MAX_JPEG_SCANS:
        raise _too_complex(label, f"JPEG with {scans} scans (limit {MAX_JPEG_SCANS})")
    if megapixels is None:
        size = jpeg_frame_size(data)
        megapixels = size[0] * size[1] / 1e6 if size else 0.0
    if scans * megapixels > MAX_JPEG_SCAN_MEGAPIXELS:
        raise _too_complex(
            label,
            f"JPEG with {scans} scans of {megapixels:.1f} MP "
            f"(limit {MAX_JPEG_SCAN_MEGAPIXELS:.0f} scan-megapixels)",
        )
    return scans


_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                          0xCE, 0xCF, 0xF7})


def jpeg_frame_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the first frame header (SOF) before the first scan, or None."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD8:
            pos += 2
        elif marker in _SOF_MARKERS:
            if pos + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        elif marker == 0xDA:
            return None
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return None


def tiff_page_count(data: bytes, label: str) -> int:
    """How many pages (IFDs) a TIFF's chain holds, after checking each IFD's size and the first
    page's strip and tile counts. A chain that loops or runs off the file ends there (the first
    page is all that is decoded, and Pillow reports a broken first page itself)."""
    layout = _tiff_layout(data)
    if layout is None:
        return 1
    order, big, offset = layout
    count_fmt, count_size, entry_size, offset_fmt = (
        ("Q", 8, 20, "Q") if big else ("H", 2, 12, "I")
    )
    offset_size = 8 if big else 4
    seen: set[int] = set()
    while offset and offset not in seen and offset + count_size <= len(data):
        seen.add(offset)
        if len(seen) > MAX_TIFF_IFDS:
            raise _too_complex(label, f"TIFF with more than {MAX_TIFF_IFDS} pages (IFDs)")
        (entries,) = struct.unpack(order + count_fmt, data[offset : offset + count_size])
        if entries > MAX_TIFF_ENTRIES:
            raise _too_complex(label, f"TIFF page with {entries} tags (limit {MAX_TIFF_ENTRIES})")
        first_entry = offset + count_size
        if len(seen) == 1:
            _check_chunks(data, order, big, first_entry, entries, label)
        next_at = first_entry + entries * entry_size
        if next_at + offset_size > len(data):
            break
        (offset,) = struct.unpack(order + offset_fmt, data[next_at : next_at + offset_size])
    return max(1, len(seen))


def _tiff_layout(data: bytes) -> tuple[str, bool, int] | None:
    """(struct byte order, BigTIFF?, offset of the first IFD), or None if not a TIFF header."""
    if data[:2] == b"II":
        order = "<"
    elif data[:2] == b"MM":
        order = ">"
    else:
        return None
    if len(data) < 8:
        return None
    (magic,) = struct.unpack(order + "H", data[2:4])
    if magic == 42:
        return order, False, struct.unpack(order + "I", data[4:8])[0]
    if magic == 43 and len(data) >= 16:
        return order, True, struct.unpack(order + "Q", data[8:16])[0]
    return None


def _check_chunks(data: bytes, order: str, big: bool, start: int, entries: int, label: str):
    entry_size, count_fmt = (20, "Q") if big else (12, "I")
    for i in range(entries):
        at = start + i * entry_size
        if at + entry_size > len(data):
            return
        tag = struct.unpack(order + "H", data[at : at + 2])[0]
        kind = _STRIP_AND_TILE_TAGS.get(tag)
        if kind is None:
            continue
        count_at = at + 4
        (count,) = struct.unpack(
            order + count_fmt, data[count_at : count_at + (8 if big else 4)]
        )
        if count > MAX_TIFF_CHUNKS:
            raise _too_complex(label, f"TIFF with {count} {kind} (limit {MAX_TIFF_CHUNKS})")
