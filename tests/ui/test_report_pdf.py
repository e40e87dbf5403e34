"""The report PDF as printed: every field of the page is in the PDF's text (read back with
pypdf), the QR code decodes to the payload (zxing-cpp), several readings make one PDF of one
page each, the file is private, and a very long note stays on its page."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import numpy as np
import pypdf
import zxingcpp
from PIL import Image

from cxr_desktop.service.clinic import ClinicInfo
from cxr_desktop.service.report import build_report, parse_qr_payload
from cxr_desktop.ui.report_pdf import page_image, pdf_bytes, write_pdf
from tests.core.storage.contract_paperwork import FACTS
from tests.core.storage.helpers import make_reading

CLINIC = ClinicInfo("Kibera Community Clinic", "PO Box 123\nNairobi")


def squash(text: str) -> str:
    """Text as compared: ligatures and narrow spaces folded (NFKC), no whitespace at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def png(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


def reading(**overrides):
    rng = np.random.default_rng(0)
    preview = np.clip(rng.normal(120, 40, (512, 440)), 0, 255).astype(np.uint8)
    heat = (np.outer(np.hanning(7), np.hanning(7)) * 255).astype(np.uint8)
    values = dict(id=12, dicom=FACTS, uncertain=True, preview_png=png(preview),
                  heatmap_png=png(heat), note="Cough for three weeks; refer for a sputum test.",
                  confirmed_label="COVID-19", reviewed_utc="2026-03-05T10:00:00+00:00",
                  cautions=("This looks like a child's X-ray.",))
    values.update(overrides)
    return make_reading(**values)


def pdf_pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_every_field_of_the_page_is_in_the_pdf(qapp, tmp_path: Path) -> None:
    page = build_report(reading(), CLINIC)
    path = write_pdf(tmp_path / "report.pdf", [page])
    assert path.stat().st_mode & 0o777 == 0o600
    (text,) = pdf_pages_text(path.read_bytes())
    missing = [t for t in page.texts() if squash(t) not in squash(text)]
    assert missing == []
    for field in ("Doe, Jane", "34 years", "Female", "Clinic \u00c9toile", "ACME DX-1",
                  "1.2.3.4.5.6", "Closest pattern: COVID-19 (70%), but the model is not sure.",
                  "70.0%", "Cough for three weeks", "cxr-net 1.2.3", "cd" * 32, "Reading #12"):
        assert squash(field) in squash(text), field


def test_a_crowded_page_shrinks_the_pictures_and_keeps_the_reviewer_line(qapp, tmp_path) -> None:
    """A long note and two cautions once pushed the reviewer's signature line off the page."""
    note = "Cough for three weeks; refer for a sputum test. " * 6
    page = build_report(reading(note=note, cautions=("This looks like a child's X-ray.",
                                                     "The header says this is a lateral view.")),
                        CLINIC)
    (text,) = pdf_pages_text(write_pdf(tmp_path / "report.pdf", [page]).read_bytes())
    missing = [t for t in page.texts() if squash(t) not in squash(text)]
    assert missing == []
    assert squash("Reviewer (name and signature)") in squash(text)


def test_the_qr_code_reads_back_as_the_payload(qapp) -> None:
    page = build_report(reading(), CLINIC)
    image = page_image(page, dpi=150)
    buffer = image.constBits().tobytes()
    array = np.frombuffer(buffer, np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = array[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., 2::-1]
    found = [b.text for b in zxingcpp.read_barcodes(Image.fromarray(np.ascontiguousarray(rgb)))]
    assert found == [page.qr_payload]
    assert parse_qr_payload(found[0])["id"] == "12"


def test_several_readings_make_one_pdf_of_one_page_each(qapp) -> None:
    pages = [build_report(reading(id=i, patient_id=f"P-{i}"), CLINIC) for i in (3, 4, 5)]
    texts = pdf_pages_text(pdf_bytes(pages))
    assert len(texts) == 3
    for i, text in zip((3, 4, 5), texts, strict=True):
        assert f"P-{i}" in text and f"Reading#{i}" in squash(text)


def test_a_very_long_note_stays_on_its_one_page(qapp) -> None:
    page = build_report(reading(note="word " * 3000), CLINIC)
    texts = pdf_pages_text(pdf_bytes([page]))
    assert len(texts) == 1
    assert squash(page.disclaimer) in squash(texts[0]) and "Reading#12" in squash(texts[0])


def test_text_from_a_file_is_printed_as_plain_text(qapp) -> None:
    page = build_report(reading(patient_id="<b>X1</b>", note="<i>not italic</i> &amp;"), CLINIC)
    (text,) = pdf_pages_text(pdf_bytes([page]))
    assert "<b>X1</b>" in text and squash("<i>not italic</i> &amp;") in squash(text)


def test_a_damaged_stored_image_is_left_out_not_fatal(qapp) -> None:
    from cxr_desktop.ui.review_dialog import ReviewDialog

    broken = reading(preview_png=b"\x89PNG damaged", heatmap_png=b"junk")
    (text,) = pdf_pages_text(pdf_bytes([build_report(broken, CLINIC)]))
    assert "Reading" in text
    dialog = ReviewDialog(broken, ["COVID-19", "Normal", "Viral_Pneumonia"])
    assert not dialog.viewer.has_image
    dialog.deleteLater()
