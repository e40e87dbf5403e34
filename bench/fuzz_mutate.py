"""Mutations of well-formed image files, generic (bit flips, runs, truncation, insertions,
deletions, interesting integers) and format-aware (PNG chunks, JPEG segments, TIFF tags, BMP
header fields, DICOM elements): huge declared sizes, wrong lengths, garbage tags and VRs.

``mutate(data, seed_name, rng)`` returns (new bytes, a list of what was done). Everything is
driven by ``rng`` (a ``random.Random``), so a case is reproduced from its seed and index.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable

Mutation = Callable[[bytes, random.Random], tuple[bytes, str]]

INTERESTING_32 = (0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
                  0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)
INTERESTING_16 = (0, 1, 2, 7, 8, 15, 16, 17, 255, 256, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF)
HUGE_SIDES = (0, 1, 15, 16, 7071, 7072, 65535, 65536, 100_000, 0x7FFFFFFF, 0xFFFFFFFF)


# -- generic ----------------------------------------------------------------------------------


def bit_flips(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    n = rng.choice((1, 1, 2, 4, 8, 32))
    for _ in range(n):
        pos = _pos(buf, rng)
        buf[pos] ^= 1 << rng.randrange(8)
    return bytes(buf), f"flip {n} bits"


def byte_run(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    pos = _pos(buf, rng)
    length = min(len(buf) - pos, rng.choice((1, 2, 4, 16, 64, 512, 4096)))
    fill = rng.choice((0x00, 0xFF, None))
    chunk = bytes([fill]) * length if fill is not None else rng.randbytes(length)
    buf[pos : pos + length] = chunk
    return bytes(buf), f"run of {length} {'random' if fill is None else hex(fill)} at {pos}"


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    cut = rng.choice((rng.randrange(len(data)), rng.randrange(min(len(data), 1024)),
                      len(data) - rng.randrange(1, 64)))
    cut = max(0, min(cut, len(data) - 1))
    return data[:cut], f"truncate to {cut}"


def insert(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    pos = _pos(data, rng)
    length = rng.choice((1, 3, 8, 100, 5000))
    blob = rng.randbytes(length) if rng.random() < 0.5 else data[pos : pos + length]
    return data[:pos] + blob + data[pos:], f"insert {len(blob)} bytes at {pos}"


def delete(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    pos = _pos(data, rng)
    length = rng.choice((1, 2, 4, 16, 300, 3000))
    return data[:pos] + data[pos + length :], f"delete {length} bytes at {pos}"


def interesting_int(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    # Headers hold most of the integers that matter: bias towards the first kilobyte.
    pos = rng.randrange(min(len(buf), 1024)) if rng.random() < 0.7 else _pos(buf, rng)
    width = rng.choice((2, 4))
    value = rng.choice(INTERESTING_16 if width == 2 else INTERESTING_32)
    order = rng.choice("<>")
    packed = struct.pack(order + ("H" if width == 2 else "I"), value)
    buf[pos : pos + width] = packed
    return bytes(buf), f"int{width * 8}{order} {value:#x} at {pos}"


GENERIC: tuple[Mutation, ...] = (bit_flips, byte_run, truncate, insert, delete, interesting_int)


def _pos(data: bytes | bytearray, rng: random.Random) -> int:
    return rng.randrange(max(1, len(data)))


# -- PNG --------------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def _png_join(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, payload in chunks:
        crc = struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        out.append(struct.pack(">I", len(payload)) + kind + payload + crc)
    return b"".join(out)


_ZLIB_BOMB = zlib.compress(bytes(64 << 20), 9)  # 64 MB of zeros in ~65 KB


def png_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    chunks = _png_chunks(data)
    if not chunks or chunks[0][0] != b"IHDR":
        return bit_flips(data, rng)
    ihdr = bytearray(chunks[0][1])
    op = rng.randrange(8)
    if op == 0:
        w, h = rng.choice(HUGE_SIDES), rng.choice(HUGE_SIDES)
        ihdr[0:8] = struct.pack(">II", w, h)
        chunks[0] = (b"IHDR", bytes(ihdr))
        what = f"IHDR size {w}x{h}"
    elif op == 1:
        ihdr[8] = rng.choice((0, 1, 2, 3, 4, 8, 16, 32, 255))
        ihdr[9] = rng.choice((0, 2, 3, 4, 6, 7, 255))
        ihdr[12] = rng.choice((0, 1, 2))
        chunks[0] = (b"IHDR", bytes(ihdr))
        what = f"IHDR depth {ihdr[8]} colour {ihdr[9]} interlace {ihdr[12]}"
    elif op == 2:  # a wrong length field (CRC left as is)
        raw = _png_join(chunks)
        starts = _chunk_starts(raw)
        pos = rng.choice(starts)
        value = rng.choice((0, 1, 13, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 20)))
        return raw[:pos] + struct.pack(">I", value) + raw[pos + 4 :], f"chunk length {value} at {pos}"
    elif op == 3:
        i = rng.randrange(len(chunks))
        what = f"drop chunk {chunks[i][0]!r}"
        del chunks[i]
    elif op == 4:
        i = rng.randrange(len(chunks))
        chunks.insert(i, chunks[rng.randrange(len(chunks))])
        what = f"duplicate a chunk at {i}"
    elif op == 5:  # decompression bomb in the pixel data
        chunks = [c for c in chunks if c[0] != b"IDAT"]
        chunks.insert(1, (b"IDAT", _ZLIB_BOMB))
        what = "IDAT zlib bomb (64 MB of zeros)"
    elif op == 6:  # an ancillary chunk with junk or a text bomb
        kind = rng.choice((b"tEXt", b"zTXt", b"iCCP", b"sPLT", b"eXIf", b"pHYs", b"tRNS", b"PLTE"))
        payload = rng.randbytes(rng.choice((0, 1, 12, 300)))
        if kind in (b"zTXt", b"iCCP") and rng.random() < 0.5:
            payload = b"k\x00\x00" + _ZLIB_BOMB
        chunks.insert(1, (kind, payload))
        what = f"insert {kind!r} of {len(payload)} bytes"
    else:  # bad CRC on a critical chunk
        raw = bytearray(_png_join(chunks))
        starts = _chunk_starts(bytes(raw))
        pos = rng.choice(starts)
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        crc_at = pos + 8 + length
        raw[crc_at : crc_at + 4] = rng.randbytes(4)
        return bytes(raw), f"bad CRC at {crc_at}"
    return _png_join(chunks), what


def _chunk_starts(raw: bytes) -> list[int]:
    starts, pos = [], 8
    while pos + 8 <= len(raw):
        starts.append(pos)
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        pos += 12 + length
    return starts or [8]


# -- JPEG -------------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, offset of the marker, segment length) up to the first SOS."""
    out, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        out.append((marker, pos, length))
        if marker == 0xDA:
            break
        pos += 2 + length
    return out


def jpeg_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    segments = _jpeg_segments(data)
    if not segments:
        return bit_flips(data, rng)
    buf = bytearray(data)
    op = rng.randrange(6)
    sofs = [s for s in segments if 0xC0 <= s[0] <= 0xCF and s[0] not in (0xC4, 0xC8, 0xCC)]
    if op == 0 and sofs:
        _, pos, _ = sofs[0]
        h, w = rng.choice((0, 1, 16, 65535, rng.randrange(65536))), rng.choice((0, 1, 65535, 7072))
        buf[pos + 5 : pos + 9] = struct.pack(">HH", h, w)
        return bytes(buf), f"SOF size {w}x{h}"
    if op == 1 and sofs:
        _, pos, _ = sofs[0]
        buf[pos + 4] = rng.choice((0, 1, 8, 12, 16, 255))  # precision
        buf[pos + 9] = rng.choice((0, 1, 2, 3, 4, 255))  # components
        return bytes(buf), f"SOF precision {buf[pos + 4]} components {buf[pos + 9]}"
    if op == 2:
        marker, pos, _ = rng.choice(segments)
        value = rng.choice((0, 1, 2, 3, 0xFFFF, rng.randrange(65536)))
        buf[pos + 2 : pos + 4] = struct.pack(">H", value)
        return bytes(buf), f"segment {marker:#x} length {value}"
    if op == 3:  # garbage inside the tables (DQT, DHT, SOS header)
        tables = [s for s in segments if s[0] in (0xDB, 0xC4, 0xDA, 0xDD)] or segments
        marker, pos, length = rng.choice(tables)
        start = pos + 4 + rng.randrange(max(1, length - 2))
        n = rng.choice((1, 4, 16))
        buf[start : start + n] = rng.randbytes(n)
        return bytes(buf), f"garbage in segment {marker:#x}"
    if op == 4:  # an EXIF block with odd or huge values
        exif = _odd_exif(rng)
        segment = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
        return data[:2] + segment + data[2:], "odd EXIF APP1"
    end = data.rfind(b"\xff\xd9")
    if end > 0:
        return data[:end] + rng.randbytes(rng.choice((0, 10, 1000))), "EOI removed"
    return truncate(data, rng)


def _odd_exif(rng: random.Random) -> bytes:
    """Exif\\0\\0 + a little-endian TIFF header + one IFD with odd entries."""
    entries = []
    orientation = rng.choice((0, 1, 6, 8, 9, 255, 65535))
    entries.append(struct.pack("<HHII", 0x0112, 3, 1, orientation))
    count = rng.choice((1, 0xFFFF, 0x7FFFFFFF))
    entries.append(struct.pack("<HHII", 0x8769, 4, count, rng.choice((8, 0, 0xFFFFFFF0))))
    ifd = struct.pack("<H", len(entries)) + b"".join(entries)
    ifd += struct.pack("<I", rng.choice((0, 8, 0xFFFFFFFF)))  # next IFD: none, a loop, far away
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd


# -- TIFF -------------------------------------------------------------------------------------

_TIFF_TAG_VALUES = {
    256: HUGE_SIDES,  # ImageWidth
    257: HUGE_SIDES,  # ImageLength
    258: (0, 1, 2, 3, 4, 12, 16, 24, 32, 64, 255),  # BitsPerSample
    259: (0, 1, 2, 5, 7, 8, 32773, 32946, 34712, 50000, 65535),  # Compression
    262: (0, 1, 2, 3, 4, 5, 6, 8, 9, 32844, 65535),  # PhotometricInterpretation
    273: (0, 8, 0x7FFFFFFF, 0xFFFFFFFF),  # StripOffsets
    274: (0, 1, 5, 8, 9, 65535),  # Orientation
    277: (0, 1, 2, 3, 4, 255, 65535),  # SamplesPerPixel
    278: (0, 1, 2, 0xFFFFFFFF),  # RowsPerStrip
    279: (0, 1, 0x7FFFFFFF, 0xFFFFFFFF),  # StripByteCounts
    284: (0, 1, 2, 3),  # PlanarConfiguration
    317: (0, 1, 2, 3, 99),  # Predictor
    320: (0, 1),  # ColorMap (offset-ish nonsense)
    322: (0, 1, 16, 0xFFFFFFFF),  # TileWidth
    323: (0, 1, 16, 0xFFFFFFFF),  # TileLength
    338: (0, 1, 2, 99),  # ExtraSamples
    339: (0, 1, 2, 3, 4, 5, 6),  # SampleFormat
}


def _tiff_ifd(data: bytes) -> tuple[str, int, list[int]] | None:
    """(byte order, offset of IFD0, offsets of its 12-byte entries) of a classic TIFF."""
    if data[:4] == b"II*\x00":
        order = "<"
    elif data[:4] == b"MM\x00*":
        order = ">"
    else:
        return None
    (ifd,) = struct.unpack(order + "I", data[4:8])
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    entries = [ifd + 2 + 12 * i for i in range(count) if ifd + 14 + 12 * i <= len(data)]
    return order, ifd, entries


def tiff_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    parsed = _tiff_ifd(data)
    if parsed is None:
        return bit_flips(data, rng)
    order, ifd, entries = parsed
    buf = bytearray(data)
    op = rng.randrange(5)
    if op <= 1 and entries:  # a tag's value (most often a size or layout tag)
        known = [e for e in entries if struct.unpack(order + "H", buf[e : e + 2])[0] in _TIFF_TAG_VALUES]
        entry = rng.choice(known or entries)
        tag = struct.unpack(order + "H", buf[entry : entry + 2])[0]
        value = rng.choice(_TIFF_TAG_VALUES.get(tag, INTERESTING_32))
        buf[entry + 2 : entry + 4] = struct.pack(order + "H", 4)  # LONG, so any value fits
        buf[entry + 4 : entry + 8] = struct.pack(order + "I", 1)
        buf[entry + 8 : entry + 12] = struct.pack(order + "I", value)
        return bytes(buf), f"tag {tag} = {value}"
    if op == 2 and entries:  # a wrong count or type
        entry = rng.choice(entries)
        tag = struct.unpack(order + "H", buf[entry : entry + 2])[0]
        if rng.random() < 0.5:
            count = rng.choice((0, 2, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF))
            buf[entry + 4 : entry + 8] = struct.pack(order + "I", count)
            return bytes(buf), f"tag {tag} count {count}"
        kind = rng.choice((0, 1, 2, 5, 7, 11, 12, 13, 16, 17, 99))
        buf[entry + 2 : entry + 4] = struct.pack(order + "H", kind)
        return bytes(buf), f"tag {tag} type {kind}"
    if op == 3:  # the next-IFD pointer: a loop to itself, far away, or into the middle
        next_at = ifd + 2 + 12 * len(entries)
        target = rng.choice((ifd, 8, 0xFFFFFFFF, rng.randrange(len(buf))))
        buf[next_at : next_at + 4] = struct.pack(order + "I", target)
        return bytes(buf), f"next IFD -> {target}"
    count = rng.choice((0, 1, 0xFFFF))  # the entry count of IFD0
    buf[ifd : ifd + 2] = struct.pack(order + "H", count)
    return bytes(buf), f"IFD0 entry count {count}"


# -- BMP --------------------------------------------------------------------------------------


def bmp_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if len(data) < 54:
        return bit_flips(data, rng)
    buf = bytearray(data)
    field = rng.choice(("offset", "width", "height", "bpp", "compression", "size", "colors", "hsize"))
    if field == "offset":
        value = rng.choice((0, 14, 54, 0x7FFFFFFF, 0xFFFFFFFF, len(data)))
        buf[10:14] = struct.pack("<I", value)
    elif field in ("width", "height"):
        value = rng.choice((0, 1, -1, -65536, 65535, 100_000, 0x7FFFFFFF, -0x80000000))
        at = 18 if field == "width" else 22
        buf[at : at + 4] = struct.pack("<i", value)
    elif field == "bpp":
        value = rng.choice((0, 1, 2, 4, 8, 15, 16, 24, 32, 64, 65535))
        buf[28:30] = struct.pack("<H", value)
    elif field == "compression":
        value = rng.choice((0, 1, 2, 3, 4, 5, 6, 11, 99, 0xFFFFFFFF))
        buf[30:34] = struct.pack("<I", value)
    elif field == "size":
        value = rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF))
        buf[34:38] = struct.pack("<I", value)
    elif field == "colors":
        value = rng.choice((0, 1, 256, 257, 65536, 0x7FFFFFFF, 0xFFFFFFFF))
        buf[46:50] = struct.pack("<I", value)
    else:
        value = rng.choice((12, 16, 40, 52, 56, 64, 108, 124))
        buf[14:18] = struct.pack("<I", value)
    return bytes(buf), f"BMP {field} = {value}"


# -- DICOM ------------------------------------------------------------------------------------

_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_SHORT_VRS = (b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT",
              b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US")

#: Keyword -> odd values for data-set level mutations.
_DICOM_ODD_VALUES: dict[str, tuple] = {
    "Rows": (0, 1, 15, 16, 7072, 65535),
    "Columns": (0, 1, 15, 16, 7072, 65535),
    "BitsAllocated": (0, 1, 7, 8, 12, 16, 24, 32, 64, 255, 65535),
    "BitsStored": (0, 1, 7, 8, 12, 16, 17, 32, 255),
    "HighBit": (0, 7, 11, 15, 16, 255),
    "PixelRepresentation": (0, 1, 2, 65535),
    "SamplesPerPixel": (0, 1, 2, 3, 4, 65535),
    "NumberOfFrames": ("0", "-1", "2", "99999999", "1e9", "abc", ""),
    "PhotometricInterpretation": ("", "RGB", "PALETTE COLOR", "YBR_FULL_422", "YBR_ICT",
                                  "MONOCHROME1", "XYZ", "MONOCHROME2\\RGB"),
    "PlanarConfiguration": (0, 1, 2, 65535),
    "WindowCenter": ("", "nan", "inf", "-inf", "0", "-1e308", "1e308", "abc", "1\\2\\3"),
    "WindowWidth": ("", "nan", "inf", "0", "1", "-5", "1e-30", "1e308", "abc", "0\\0"),
    "RescaleSlope": ("", "nan", "inf", "0", "-1", "1e38", "1e-38", "abc"),
    "RescaleIntercept": ("", "nan", "-inf", "1e38", "-1e38", "abc"),
    "VOILUTFunction": ("", "SIGMOID", "LINEAR_EXACT", "GARBAGE"),
}

_TRANSFER_SYNTAXES = (
    "1.2.840.10008.1.2",  # implicit VR little endian
    "1.2.840.10008.1.2.1",  # explicit VR little endian
    "1.2.840.10008.1.2.1.99",  # deflated
    "1.2.840.10008.1.2.2",  # explicit VR big endian
    "1.2.840.10008.1.2.4.50",  # JPEG baseline
    "1.2.840.10008.1.2.4.57",  # JPEG lossless
    "1.2.840.10008.1.2.4.70",  # JPEG lossless SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.5",  # RLE
    "1.2.840.10008.1.2.4.201",  # HTJ2K
    "1.2.3.4",  # nonsense
    "",
)


def _dicom_elements(data: bytes) -> list[tuple[int, int, bool]]:
    """(offset, header length, explicit VR?) of the top-level elements of a little-endian file,
    as far as they can be walked (stops at undefined lengths and at the pixel data)."""
    pos = 132 if data[128:132] == b"DICM" else 0
    out: list[tuple[int, int, bool]] = []
    while pos + 8 <= len(data) and len(out) < 400:
        group, element = struct.unpack("<HH", data[pos : pos + 4])
        vr = data[pos + 4 : pos + 6]
        explicit = vr.isalpha() and vr.isupper()
        if explicit and vr in _LONG_VRS:
            (length,) = struct.unpack("<I", data[pos + 8 : pos + 12])
            header = 12
        elif explicit:
            (length,) = struct.unpack("<H", data[pos + 6 : pos + 8])
            header = 8
        else:
            (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
            header = 8
        out.append((pos, header, explicit))
        if length == 0xFFFFFFFF or (group, element) == (0x7FE0, 0x0010):
            break
        pos += header + length
    return out


def dicom_bytes_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    elements = _dicom_elements(data)
    if not elements:
        return bit_flips(data, rng)
    pos, header, explicit = rng.choice(elements)
    buf = bytearray(data)
    op = rng.randrange(5)
    if op == 0:  # a garbage element inserted before this one
        junk = rng.randbytes(4) + rng.choice((b"OB\x00\x00", b"SQ\x00\x00", b"UN\x00\x00",
                                              rng.randbytes(4)))
        junk += struct.pack("<I", rng.choice((0, 4, 0xFFFFFFFF, 0x7FFFFFFF, 16)))
        return bytes(buf[:pos]) + junk + bytes(buf[pos:]), f"garbage element at {pos}"
    if op == 1 and explicit:  # a wrong or invalid VR
        vr = rng.choice((*_SHORT_VRS, *sorted(_LONG_VRS), rng.randbytes(2), b"\x00\x00", b"  "))
        buf[pos + 4 : pos + 6] = vr
        return bytes(buf), f"VR {vr!r} at {pos}"
    if op == 2:  # a wrong length
        value = rng.choice((0, 1, 2, 3, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF,
                            rng.randrange(1 << 16)))
        if header == 8 and explicit:
            buf[pos + 6 : pos + 8] = struct.pack("<H", value & 0xFFFF)
        else:
            at = pos + (8 if header == 12 else 4)
            buf[at : at + 4] = struct.pack("<I", value)
        return bytes(buf), f"length {value:#x} at {pos}"
    if op == 3:  # a garbage tag number
        buf[pos : pos + 4] = rng.choice((rng.randbytes(4), b"\xe0\x7f\x10\x00", b"\xfe\xff\x00\xe0",
                                         b"\xfe\xff\xdd\xe0", b"\x02\x00\x10\x00"))
        return bytes(buf), f"tag {bytes(buf[pos : pos + 4]).hex()} at {pos}"
    # a garbage value
    start = pos + header
    n = rng.choice((1, 2, 4, 8))
    buf[start : start + n] = rng.randbytes(n)
    return bytes(buf), f"value bytes at {start}"


def dicom_codestream_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Change the image size declared inside a compressed frame (JPEG SOF, JPEG 2000 SIZ),
    leaving the DICOM Rows/Columns alone: decoders allocate what the codestream says."""
    buf = bytearray(data)
    side_w, side_h = rng.choice(HUGE_SIDES[:9]), rng.choice(HUGE_SIDES[:9])
    j2k = data.find(b"\xff\x4f\xff\x51", 132)
    if j2k >= 0:
        w, h = min(side_w, 0xFFFFFFFF), min(side_h, 0xFFFFFFFF)
        buf[j2k + 8 : j2k + 16] = struct.pack(">II", w, h)
        if rng.random() < 0.5:  # one tile as large as the image
            buf[j2k + 24 : j2k + 32] = struct.pack(">II", w, h)
        if rng.random() < 0.3:
            buf[j2k + 40 : j2k + 42] = struct.pack(">H", rng.choice((0, 2, 3, 4, 255, 16384)))
        return bytes(buf), f"J2K SIZ {w}x{h}"
    soi = data.find(b"\xff\xd8\xff", 132)
    if soi >= 0:
        segments = _jpeg_segments(data[soi:])
        sofs = [s for s in segments if 0xC0 <= s[0] <= 0xCF and s[0] not in (0xC4, 0xC8, 0xCC)]
        if sofs:
            pos = soi + sofs[0][1]
            w, h = min(side_w, 0xFFFF), min(side_h, 0xFFFF)
            buf[pos + 5 : pos + 9] = struct.pack(">HH", h, w)
            if rng.random() < 0.3:
                buf[pos + 9] = rng.choice((0, 2, 3, 4, 255))
            return bytes(buf), f"JPEG-in-DICOM SOF {w}x{h}"
    return dicom_bytes_mutation(data, rng)


def dicom_dataset_mutation(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Rewrite the file through pydicom with odd values in the tags the decoder trusts."""
    import io

    import pydicom
    from pydicom.uid import UID

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        ds.PixelData  # noqa: B018 - load it now, before the file is changed
    except Exception:  # noqa: BLE001 - already too broken for this kind of mutation
        return dicom_bytes_mutation(data, rng)
    done = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        op = rng.randrange(6)
        if op <= 2:
            keyword = rng.choice(sorted(_DICOM_ODD_VALUES))
            value = rng.choice(_DICOM_ODD_VALUES[keyword])
            _set_raw(ds, keyword, value)
            done.append(f"{keyword}={value!r}")
        elif op == 3:
            pixels = bytes(ds.PixelData)
            choice = rng.randrange(4)
            if choice == 0:
                pixels = pixels[: rng.randrange(len(pixels) + 1)]
            elif choice == 1:
                pixels += rng.randbytes(rng.choice((1, 2, 1000)))
            elif choice == 2:
                pixels = rng.randbytes(len(pixels))
            else:
                pixels = b""
            ds.PixelData = pixels
            done.append(f"PixelData {len(pixels)} bytes")
        elif op == 4:
            syntax = rng.choice(_TRANSFER_SYNTAXES)
            if getattr(ds, "file_meta", None) is not None:
                ds.file_meta.TransferSyntaxUID = UID(syntax)
            done.append(f"TransferSyntax {syntax or 'empty'}")
        else:
            item = pydicom.Dataset()
            entries = rng.choice((0, 1, 2, 4096, 65535))
            first = rng.choice((0, -32768, 65535, 100))
            bits = rng.choice((0, 1, 8, 12, 16, 17, 255))
            item.LUTDescriptor = [entries, first, bits]
            size = rng.choice((0, 1, 7, 300))
            item.LUTData = [rng.randrange(65536) for _ in range(size)]
            item["LUTData"].VR = "US"
            which = rng.choice(("VOILUTSequence", "ModalityLUTSequence"))
            if which == "ModalityLUTSequence":
                item.ModalityLUTType = rng.choice(("US", "HU", ""))
            setattr(ds, which, [item])
            done.append(f"{which} {entries}/{first}/{bits} with {size} entries")
    buffer = io.BytesIO()
    preamble = data[128:132] == b"DICM"
    try:
        ds.save_as(buffer)
    except Exception:  # noqa: BLE001 - no usable transfer syntax: write implicit little endian
        buffer = io.BytesIO()
        try:
            ds.save_as(buffer, implicit_vr=True, little_endian=True)
        except Exception:  # noqa: BLE001 - pydicom refused to write this combination
            return dicom_bytes_mutation(data, rng)
    out = buffer.getvalue()
    if preamble and out[128:132] != b"DICM":
        out = bytes(128) + b"DICM" + out
    return out, "; ".join(done)


def _set_raw(ds, keyword: str, value: object) -> None:
    """Store ``value`` as the element's raw bytes, unvalidated (pydicom would refuse 'abc')."""
    from pydicom.datadict import dictionary_VR, tag_for_keyword
    from pydicom.dataelem import RawDataElement

    tag = tag_for_keyword(keyword)
    vr = dictionary_VR(tag)
    if isinstance(value, int):
        raw = struct.pack("<H", value & 0xFFFF)
    else:
        raw = str(value).encode("ascii")
        raw += b" " * (len(raw) % 2)
    ds._dict[tag] = RawDataElement(tag, vr, len(raw), raw, 0, False, True)


# -- dispatch ---------------------------------------------------------------------------------

_FORMAT_MUTATIONS: dict[str, tuple[Mutation, ...]] = {
    "png": (png_mutation,),
    "jpeg": (jpeg_mutation,),
    "tiff": (tiff_mutation,),
    "bmp": (bmp_mutation,),
    "dcm": (dicom_bytes_mutation, dicom_dataset_mutation, dicom_codestream_mutation),
}


def mutate(data: bytes, seed_name: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """1-3 mutations of ``data``; about half of them format-aware."""
    specific = _FORMAT_MUTATIONS.get(seed_name.split("-", 1)[0], ())
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if not data:
            break
        pool = specific if specific and rng.random() < 0.5 else GENERIC
        mutation = rng.choice(pool)
        try:
            data, what = mutation(data, rng)
        except Exception as exc:  # noqa: BLE001 - a mutator bug must not stop the run
            data, what = bit_flips(data, rng)
            what += f" (after {mutation.__name__} failed: {type(exc).__name__})"
        done.append(what)
    return data, done
