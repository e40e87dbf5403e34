"""Non-widget helpers of the GUI: the PySide6 work-around, log-safe file names, folder listing."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from cxr_desktop.ui import pipeline
from cxr_desktop.ui.qt_compat import needs_none_protection, protect_none_refcount


class _Emitter(QObject):
    ping = Signal(int)


def test_singletons_survive_many_void_calls_and_emits(qapp):
    protect_none_refcount()
    obj = _Emitter()
    obj.ping.connect(lambda _n: None)
    before = {v: sys.getrefcount(v) for v in (None, True, False)}
    for i in range(20_000):
        obj.setObjectName("x")
        obj.ping.emit(i)
    # Unprotected, PySide6 6.12 on Python 3.11 would have aborted the interpreter by now.
    for value, count in before.items():
        assert sys.getrefcount(value) > 1_000_000 or count - sys.getrefcount(value) < 100


def test_protection_is_only_needed_where_the_bug_exists():
    assert needs_none_protection((3, 11), (6, 12, 0))
    assert not needs_none_protection((3, 11), (6, 11, 3))
    assert not needs_none_protection((3, 12), (6, 12, 0))
    assert needs_none_protection((3, 10), None)


def test_describe_file_hides_the_name():
    token = pipeline.describe_file("/data/Jane Doe/Jane_Doe_chest.DCM")
    assert token.startswith("file#") and token.endswith("(.dcm)")
    assert "Jane" not in token
    assert pipeline.describe_file(None) == "<no file>"


def test_redact_removes_path_and_name():
    path = "/data/Jane Doe/Jane_Doe_chest.png"
    text = pipeline.redact(f"{path}: broken; see Jane_Doe_chest.png", path)
    assert "Jane" not in text and "file#" in text


def test_list_images(tmp_path):
    (tmp_path / "a.PNG").write_bytes(b"x")
    (tmp_path / "b.txt").write_bytes(b"x")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "IM0001").write_bytes(b"x")  # DICOM files often have no extension
    found = pipeline.list_images(str(tmp_path))
    assert [p.rsplit("/", 1)[-1] for p in found] == ["a.PNG", "IM0001"]
    assert pipeline.clean("  ") is None and pipeline.clean(" x ") == "x"


def test_scrub_removes_remembered_names_only():
    pipeline.describe_file("/data/Kofi Mensah/Kofi_Mensah_cxr.png")
    pipeline.remember_sensitive("Mensah, Kofi", "ab")  # too short to scrub safely: ignored
    text = pipeline.scrub("EXIF in /data/Kofi Mensah/Kofi_Mensah_cxr.png for Mensah, Kofi (ab)")
    assert "Kofi" not in text and "Mensah" not in text
    assert text.startswith("EXIF in file#") and text.endswith("(ab)")
    assert pipeline.scrub("CXR Desktop 0.1.0 starting") == "CXR Desktop 0.1.0 starting"
