"""Issue 14, finding 1: files that kept a decoder busy for minutes are refused from their
structure, before decoding; files just inside the limits still open.

Each pathological file is generated here (tests/core/pathological.py) and opened in the fuzzer's
sandbox (a worker process with a time limit and an address-space cap), so a regression fails
the test instead of hanging it. Before the fix: the repeated-scan JPEG took 49 s, the
7000 x 7000 one never finished, a million TIFF strips took 9 s in Pillow and 20,000 chained
TIFF pages 11.5 s (measured here).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.fuzz import Sandbox
from cxr_desktop.core import structure_check
from cxr_desktop.core.errors import ImageTooComplexError
from cxr_desktop.core.imaging import load_xray_bytes
from tests.core import dicom_factory as dcm
from tests.core import pathological as bad


def _open_in_sandbox(data: bytes) -> tuple[str, str, float]:
    with Sandbox(jobs=1, timeout_s=20.0, memory_mb=2048, budget_mb=600) as sandbox:
        outcome, detail, seconds, _peak = sandbox.run([(0, data)])[0]
    return outcome, detail, seconds


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: bad.repeat_last_scan(bad.progressive_jpeg(1024), 3000),
                     id="progressive-last-scan-x3000"),
        pytest.param(lambda: bad.repeat_last_scan(
            bad.with_frame_size(bad.progressive_jpeg(512), 7000, 7000), 30), id="7000x7000-36-scans"),
        pytest.param(lambda: bad.tiff_with_strips(1_000_000), id="tiff-1M-strips"),
        pytest.param(lambda: bad.tiff_with_chained_ifds(20_000), id="tiff-20000-pages"),
    ],
)
def test_pathological_file_is_refused_before_decoding(make) -> None:
    outcome, detail, _seconds = _open_in_sandbox(make())
    assert (outcome, detail) == ("typed", "ImageTooComplexError")


def test_the_refusal_is_a_plain_sentence_with_the_cause_in_the_detail() -> None:
    with pytest.raises(ImageTooComplexError) as info:
        load_xray_bytes(bad.repeat_last_scan(bad.progressive_jpeg(256), 500), "scans.jpg")
    message = info.value.message
    assert message.endswith(".") and "<" not in message and "scan" not in message.lower()
    assert "scans.jpg" in info.value.detail and "506 scans" in info.value.detail


def test_jpeg_frame_in_a_dicom_with_thousands_of_scans_is_refused() -> None:
    ds = dcm.jpeg_baseline(np.full((64, 64), 100, np.uint8))
    from pydicom.encaps import encapsulate

    ds.PixelData = encapsulate([bad.repeat_last_scan(bad.progressive_jpeg(64), 2000)])
    with pytest.raises(ImageTooComplexError):
        load_xray_bytes(dcm.to_bytes(ds))


def test_files_inside_the_limits_still_open() -> None:
    progressive = bad.progressive_jpeg(600, flat=False)
    assert load_xray_bytes(progressive).display.shape == (600, 600)
    many_but_fine = bad.repeat_last_scan(progressive, structure_check.MAX_JPEG_SCANS - 10)
    assert load_xray_bytes(many_but_fine).display.shape == (600, 600)
    pages = load_xray_bytes(bad.tiff_with_chained_ifds(30))
    assert pages.metadata.frames == 31 and pages.display.shape == (64, 64)
    assert load_xray_bytes(bad.tiff_with_strips(2000)).display.shape == (2000, 64)


def test_limits() -> None:
    assert structure_check.tiff_page_count(bad.tiff_with_chained_ifds(1023), "x") == 1024
    with pytest.raises(ImageTooComplexError):
        structure_check.tiff_page_count(bad.tiff_with_chained_ifds(1024), "x")
    with pytest.raises(ImageTooComplexError):
        structure_check.tiff_page_count(bad.tiff_with_strips(65537), "x")
    assert structure_check.check_jpeg_scans(bad.progressive_jpeg(64), "x") == 6
    assert structure_check.jpeg_frame_size(bad.progressive_jpeg(80)) == (80, 80)


def test_a_looping_ifd_chain_counts_each_page_once() -> None:
    import struct

    data = bytearray(bad.tiff_with_chained_ifds(3))
    (first,) = struct.unpack("<I", data[4:8])
    (entries,) = struct.unpack("<H", data[first : first + 2])
    size = 2 + 12 * entries + 4
    last_next = len(data) - 4
    data[last_next:] = struct.pack("<I", len(data) - size)  # the last page points to itself
    assert structure_check.tiff_page_count(bytes(data), "loop") == 4
    assert load_xray_bytes(bytes(data)).display.shape == (64, 64)
