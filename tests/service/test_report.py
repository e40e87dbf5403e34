"""The report's and the summary's content (Qt-free): the panel's own words, the DICOM facts,
the QR payload and its checksum, the counts of a period."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.core.types import OOD_LABEL
from cxr_desktop.service.clinic import ClinicInfo, load_clinic, save_clinic
from cxr_desktop.service.dicom_words import age_text, dicom_date_text, fact_lines, sex_text
from cxr_desktop.service.report import build_report, parse_qr_payload, qr_payload
from cxr_desktop.service.summary import count_rows, summarize, summary_csv_text, summary_pages
from cxr_desktop.service.wording import ResultSummary, describe
from tests.core.storage.contract_paperwork import FACTS
from tests.core.storage.helpers import make_reading

CLINIC = ClinicInfo("Kibera Community Clinic", "PO Box 123\nNairobi")


def test_the_page_says_what_the_panel_says() -> None:
    reading = make_reading(id=7, uncertain=True, dicom=FACTS, note="cough", cautions=("A child.",))
    page = build_report(reading, CLINIC)
    words = describe(ResultSummary.from_reading(reading))
    assert (page.banner_text, page.finding, page.cautions) == (
        words.banner_text, words.finding, list(words.cautions))
    texts = page.texts()
    for expected in ("Kibera Community Clinic", "PO Box 123\nNairobi", "PID-001", "Doe, Jane",
                     "34 years", "Female", "Clinic \u00c9toile", "ACME DX-1", "PA", "1.2.3.4.5.6",
                     "70.0%", "cough", "cxr-net 1.2.3", "cd" * 32, "A child.",
                     "Second opinion only, not a diagnosis. A clinician must confirm every finding."):
        assert expected in texts
    flags = dict(page.flags)
    assert flags["Uncertain \u2014 refer to a radiologist"].startswith("Yes: Closest pattern")
    assert flags["Not a chest X-ray"] == "No"
    assert page.footer.startswith("Reading #7 ")


def test_not_a_chest_xray_gives_its_reason_and_no_probabilities_or_heatmap() -> None:
    reading = make_reading(id=3, label=OOD_LABEL, out_of_distribution=True, uncertain=True,
                           ood_reason="The file says it is a CT scan (DICOM modality CT).")
    page = build_report(reading, ClinicInfo())
    flags = dict(page.flags)
    assert flags["Not a chest X-ray"] == "Yes: The file says it is a CT scan (DICOM modality CT)."
    assert flags["Uncertain \u2014 refer to a radiologist"] == "No"  # as the panel shows it
    assert page.probabilities == [] and page.heatmap_png is None
    assert page.banner_text == "This is not a frontal chest X-ray."


def test_review_fields_and_no_patient() -> None:
    reading = make_reading(id=4, patient_id=None, patient_name=None, confirmed_label="Normal",
                           reviewed_utc="2026-03-05T10:00:00+00:00", note="seen by Dr. Ama")
    rows = dict(build_report(reading, ClinicInfo()).review)
    assert rows["Confirmed finding"] == "Normal" and rows["Clinician note"] == "seen by Dr. Ama"
    assert "2026" in rows["Reviewed"]
    assert dict(build_report(reading, ClinicInfo()).patient) == {"Patient ID": "not recorded"}


def test_qr_payload_round_trip_and_checksum() -> None:
    reading = make_reading(id=12)
    text = qr_payload(reading)
    assert "Doe" not in text and "PID" not in text  # no patient details in the code
    fields = parse_qr_payload(text)
    assert fields == {"id": "12", "t": "20260304T050607Z", "f": "COVID-19",
                      "p": "COVID-19:0.700,Normal:0.200,Viral_Pneumonia:0.100", "u": "0",
                      "o": "0", "m": "1.2.3"}
    with pytest.raises(ValueError):
        parse_qr_payload(text.replace("id=12", "id=13"))
    with pytest.raises(ValueError):
        parse_qr_payload("hello")


def test_dicom_words() -> None:
    assert age_text("034Y") == "34 years" and age_text("001Y") == "1 year"
    assert age_text("006M") == "6 months" and age_text("odd") == "odd"
    assert sex_text("f") == "Female" and sex_text("X") == "X"
    assert dicom_date_text("20260301") == "Mar 1, 2026" and dicom_date_text("2026.03.01") == "Mar 1, 2026"
    assert dicom_date_text("20261301") == "20261301"
    assert "Age: 34 years" in fact_lines(FACTS) and fact_lines(None) == []


def test_clinic_details_are_saved_privately(app_home) -> None:
    assert load_clinic() == ClinicInfo()
    path = save_clinic(ClinicInfo(" Clinic ", "Road 1\nTown "))
    assert load_clinic() == ClinicInfo("Clinic", "Road 1\nTown")
    assert path.stat().st_mode & 0o077 == 0
    path.write_text("{broken", encoding="utf-8")
    assert load_clinic() == ClinicInfo()


def test_period_summary_counts_and_referred_list(tmp_path) -> None:
    with SqliteHistory(tmp_path / "h.sqlite3") as store:
        def add(day: int, **kw) -> int:
            return store.add(make_reading(created_utc=f"2026-03-{day:02d}T12:00:00+00:00", **kw))

        add(1, label="COVID-19", confirmed_label="COVID-19")
        add(2, label="Normal", confirmed_label="COVID-19")
        referred = add(3, label="Normal", uncertain=True, patient_id="=HYPERLINK(1)")
        add(4, label=OOD_LABEL, out_of_distribution=True, uncertain=True, confirmed_label="Other")
        add(20, label="Normal")  # outside the period
        summary = summarize(store, date(2026, 3, 1), date(2026, 3, 10))
    assert (summary.total, summary.referred, summary.not_chest, summary.reviewed) == (4, 1, 1, 3)
    assert (summary.agreed, summary.compared) == (1, 2)
    assert [r.reading_id for r in summary.referred_rows] == [referred]
    rows = dict(count_rows(summary))
    assert rows["AI finding: Normal"] == "2" and rows["AI and confirmed finding agree"] == "1 of 2 (50.0%)"
    csv_text = summary_csv_text(summary, CLINIC)
    assert "'=HYPERLINK(1)" in csv_text  # formula escaped, as in the history export
    pages = summary_pages(summary, CLINIC)
    assert len(pages) == 1 and pages[0].rows[0][0] == f"#{referred}"
    many = dataclasses.replace(summary, referred_rows=summary.referred_rows * 70)
    assert len(summary_pages(many, CLINIC)) == 3  # 22 on the first page, then 40 a page
