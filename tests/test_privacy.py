"""The one privacy rule for logs: log-safe file names, redaction, scrubbing."""

from __future__ import annotations

from cxr_desktop.privacy import describe_file, redact, remember_sensitive, scrub


def test_describe_file_hides_the_name():
    token = describe_file("/data/Jane Doe/Jane_Doe_chest.DCM")
    assert token.startswith("file#") and token.endswith("(.dcm)")
    assert "Jane" not in token
    assert describe_file(None) == "<no file>"


def test_redact_removes_path_and_name():
    path = "/data/Jane Doe/Jane_Doe_chest.png"
    text = redact(f"{path}: broken; see Jane_Doe_chest.png", path)
    assert "Jane" not in text and "file#" in text


def test_scrub_removes_remembered_names_only():
    describe_file("/data/Kofi Mensah/Kofi_Mensah_cxr.png")
    remember_sensitive("Mensah, Kofi", "ab")  # too short to scrub safely: ignored
    text = scrub("EXIF in /data/Kofi Mensah/Kofi_Mensah_cxr.png for Mensah, Kofi (ab)")
    assert "Kofi" not in text and "Mensah" not in text
    assert text.startswith("EXIF in file#") and text.endswith("(ab)")
    assert scrub("CXR Desktop 0.1.0 starting") == "CXR Desktop 0.1.0 starting"


def test_dicom_name_parts_are_remembered_one_by_one():
    remember_sensitive("Osei^Abena^Serwaa")
    assert scrub("patient Osei, Abena") == "patient <redacted>, <redacted>"
