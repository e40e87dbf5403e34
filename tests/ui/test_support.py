"""Non-widget helpers of the GUI: the PySide6 refcount regression, log-safe file names, folder listing."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from cxr_desktop.ui import pipeline


class _Emitter(QObject):
    ping = Signal(int)


def test_installed_pyside_does_not_leak_none_or_bool_references(qapp):
    """PySide6 6.12.0 on Python 3.11 released a reference to None on every void call and to
    True/False on every emit, aborting the interpreter after a few thousand calls ("none_dealloc").
    pyproject.toml pins PySide6-Essentials < 6.12; this guards the pin."""
    obj = _Emitter()
    obj.ping.connect(lambda _n: None)
    before = {v: sys.getrefcount(v) for v in (None, True, False)}
    for i in range(2_000):
        obj.setObjectName("x")
        obj.ping.emit(i)
    for value, count in before.items():
        assert abs(sys.getrefcount(value) - count) < 100, value


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
