"""Structure-aware fuzz families: the shapes of file that kept decoders busy (issue 14).

Each family turns a well-formed seed into a file built to cost a decoder time or memory:

  jpeg-scan-repetition  a progressive JPEG's last (or any) scan repeated 5..5,000 times, at its
                        own size or with the frame header declaring up to 7000 x 7000
  tiff-ifd-chain        copies of the first page chained 10..20,000 times, or a chain that loops
  tiff-strip-count      1,000..1,000,000 strips (offsets and byte counts), real or a bare count
  dicom-huge-length     an element (pixel data, a private OB/UN, a text tag, the file meta
                        group length) declaring a huge value length
  dicom-deep-sequence   sequences nested 10..20,000 deep, with defined or undefined lengths
  dicom-transfer-syntax the pixel data relabelled with another or an odd transfer syntax

``family_case(seeds, index, rng)`` -> (family, seed name, bytes, what was done). The fuzzer
(bench/fuzz.py) gives every fourth case to a family, round robin, and reports the slowest case
and the outcomes per family.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

from tests.core import pathological

Family = Callable[[dict[str, bytes], random.Random], tuple[str, bytes, str]]


def jpeg_scan_repetition(seeds: dict[str, bytes], rng: random.Random) -> tuple[str, bytes, str]:
    name = "jpeg-progressive-exif"
    data = seeds[name]
    starts = pathological.scan_starts(data)
    times = rng.choice((5, 20, 60, 94, 101, 500, 3000, 5000))
    end = data.rfind(b"\xff\xd9")
    pick = rng.randrange(len(starts)) if rng.random() < 0.3 else len(starts) - 1
    stop = starts[pick + 1] if pick + 1 < len(starts) else end
    scan = data[starts[pick] : stop]
    out = data[:end] + scan * times + b"\xff\xd9"
    what = f"scan {pick} repeated {times} times"
    if rng.random() < 0.4:
        side = rng.choice((1024, 2048, 4096, 7000))
        out = pathological.with_frame_size(out, side, side)
        what += f", frame declared {side} x {side}"
    return name, out, what


def tiff_ifd_chain(seeds: dict[str, bytes], rng: random.Random) -> tuple[str, bytes, str]:
    extra = rng.choice((10, 200, 1023, 1024, 5000, 20000))
    data = bytearray(pathological.tiff_with_chained_ifds(extra))
    what = f"{extra} chained pages"
    if rng.random() < 0.3:  # the last page points back to the first one
        data[-4:] = data[4:8]
        what += ", looping"
    return "tiff-8bit", bytes(data), what


def tiff_strip_count(seeds: dict[str, bytes], rng: random.Random) -> tuple[str, bytes, str]:
    count = rng.choice((1000, 20000, 65536, 65537, 300_000, 1_000_000))
    if rng.random() < 0.5:
        return "tiff-8bit", pathological.tiff_with_strips(count), f"{count} real strips"
    data = bytearray(pathological.small_tiff())  # a bare count: no array behind it
    (ifd,) = struct.unpack("<I", data[4:8])
    (entries,) = struct.unpack("<H", data[ifd : ifd + 2])
    for i in range(entries):
        at = ifd + 2 + 12 * i
        if struct.unpack("<H", data[at : at + 2])[0] in (273, 279):
            data[at + 2 : at + 4] = struct.pack("<H", 4)
            data[at + 4 : at + 8] = struct.pack("<I", count)
            data[at + 8 : at + 12] = struct.pack("<I", rng.choice((8, len(data) - 4)))
    return "tiff-8bit", bytes(data), f"strip count {count} without the arrays"


_HUGE = (0xFFFFFFF0, 0xFFFFFFFE, 0x7FFFFFFF, 0x10000000, 1 << 24)


def dicom_huge_length(seeds: dict[str, bytes], rng: random.Random) -> tuple[str, bytes, str]:
    name = rng.choice(("dcm-raw-12bit", "dcm-deflated", "dcm-j2k", "dcm-implicit-nopreamble"))
    data = seeds.get(name) or seeds["dcm-raw-12bit"]
    length = rng.choice(_HUGE)
    where = rng.randrange(4)
    if where == 0:  # the pixel data element
        at = data.rfind(b"\xe0\x7f\x10\x00")
        if at >= 0:
            explicit = data[at + 4 : at + 6] in (b"OB", b"OW")
            pos = at + (8 if explicit else 4)
            return name, data[:pos] + struct.pack("<I", length) + data[pos + 4 :], \
                f"pixel data length {length:#x}"
    if where == 1:  # a private element before the pixel data, with a few bytes of value
        element = b"\x09\x00\x10\x10" + b"UN\x00\x00" + struct.pack("<I", length) + bytes(64)
        at = data.rfind(b"\xe0\x7f\x10\x00")
        at = at if at >= 0 else len(data)
        return name, data[:at] + element + data[at:], f"private UN of length {length:#x}"
    if where == 2 and data[128:132] == b"DICM":  # the file meta group length
        return name, data[:140] + struct.pack("<I", length) + data[144:], \
            f"meta group length {length:#x}"
    at = data.find(b"\x10\x00\x20\x00")  # PatientID (LO: a 2-byte length)
    if at >= 0 and data[at + 4 : at + 6] == b"LO":
        return name, data[: at + 6] + b"\xff\xff" + data[at + 8 :], "PatientID length 0xffff"
    return name, data + b"\x09\x00\x12\x10UN\x00\x00" + struct.pack("<I", length), \
        f"trailing element of length {length:#x}"


def _nested_sequence(depth: int, undefined: bool) -> bytes:
    """(0040,0275) Request Attributes Sequence, each item holding the next level; explicit VR."""
    inner = b"\x10\x00\x20\x00LO\x04\x00DEEP"  # a PatientID at the bottom
    for _ in range(depth):
        if undefined:
            item = b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + inner + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"
            inner = (b"\x40\x00\x75\x02SQ\x00\x00\xff\xff\xff\xff" + item
                     + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")
        else:
            item = b"\xfe\xff\x00\xe0" + struct.pack("<I", len(inner)) + inner
            inner = b"\x40\x00\x75\x02SQ\x00\x00" + struct.pack("<I", len(item)) + item
    return inner


def dicom_deep_sequence(seeds: dict[str, bytes], rng: random.Random) -> tuple[str, bytes, str]:
    name = "dcm-raw-12bit"
    data = seeds[name]
    depth = rng.choice((10, 100, 500, 2000, 20000))
    undefined = rng.random() < 0.5
    nested = _nested_sequence(depth, undefined)
    at = data.find(b"\x08\x00\x60\x00")  # before the Modality: tags stay in ascending order
    at = at if at >= 0 else 132
    # (0040,0275) sorts after group 0008 but pydicom reads in file order: an out-of-order
    # element is one more oddity for the reader.
    return name, data[:at] + nested + data[at:], \
        f"sequence nested {depth} deep ({'undefined' if undefined else 'defined'} lengths)"


_ODD_SYNTAXES = (
    "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.94",
    "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.107",
    "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.70",
    "1.2.826.0.1.3680043.2.1143.1", "1.2.3", "", "1.2.840.10008.1.2.1\x00junk",
)


def dicom_transfer_syntax(seeds: dict[str, bytes], rng: random.Random) -> tuple[str, bytes, str]:
    dicoms = sorted(n for n in seeds if n.startswith("dcm-") and seeds[n][128:132] == b"DICM")
    name = rng.choice(dicoms)
    data = seeds[name]
    at = data.find(b"\x02\x00\x10\x00UI")
    if at < 0:
        return name, data, "no transfer syntax element"
    (length,) = struct.unpack("<H", data[at + 6 : at + 8])
    uid = rng.choice(_ODD_SYNTAXES).encode("ascii", "replace")
    uid += b"\x00" * (len(uid) % 2)
    out = data[: at + 6] + struct.pack("<H", len(uid)) + uid + data[at + 8 + length :]
    meta_len_at = 140  # (0002,0000) group length value, if present
    if out[132:136] == b"\x02\x00\x00\x00":
        (group,) = struct.unpack("<I", out[meta_len_at : meta_len_at + 4])
        out = out[:meta_len_at] + struct.pack("<I", group + len(uid) - length) + out[144:]
    return name, out, f"transfer syntax {uid.rstrip(bytes(1)).decode('ascii', 'replace')!r}"


FAMILIES: dict[str, Family] = {
    "jpeg-scan-repetition": jpeg_scan_repetition,
    "tiff-ifd-chain": tiff_ifd_chain,
    "tiff-strip-count": tiff_strip_count,
    "dicom-huge-length": dicom_huge_length,
    "dicom-deep-sequence": dicom_deep_sequence,
    "dicom-transfer-syntax": dicom_transfer_syntax,
}


def family_case(seeds: dict[str, bytes], index: int, rng: random.Random):
    """(family, seed name, bytes, [what was done]) for the ``index``-th family case."""
    names = list(FAMILIES)
    family = names[index % len(names)]
    seed, data, what = FAMILIES[family](seeds, rng)
    return family, seed, data, [what]
