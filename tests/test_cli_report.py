"""``cxr-desktop report``, ``summary`` and ``history review`` from the command line, as a
separate process with no display (no DISPLAY, no QT_QPA_PLATFORM): the PDF is drawn offscreen,
its text read back."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pypdf
import pytest

from cxr_desktop import cli
from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.conftest import REPO_ROOT
from tests.core.dicom_factory import make_dataset, write
from tests.ui.test_report_pdf import squash


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                            "QT_QPA_PLATFORM")}
    env.update(CXR_DESKTOP_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-m", "cxr_desktop", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture
def saved(capsys, app_home: Path, tiny_model_dir: Path, tmp_path: Path) -> Path:
    pixels = np.clip(np.random.default_rng(2).normal(2800, 150, (240, 200)), 0, 4095).astype(np.uint16)
    dcm = write(tmp_path / "chest.dcm", make_dataset(
        pixels, "MONOCHROME2", 12, PatientID="PID-0042", PatientName="Doe^Jane", PatientAge="034Y",
        PatientSex="F", StudyDate="20260301", InstitutionName="Clinic One", Manufacturer="ACME",
        ManufacturerModelName="DX-1", ViewPosition="PA", StudyInstanceUID="1.2.3",
        SeriesInstanceUID="1.2.3.4"))
    assert cli.main(["predict", "--save", "--model-dir", str(tiny_model_dir), str(dcm)]) == 0
    capsys.readouterr()
    return app_home


def test_report_pdf_with_no_display(saved: Path, tmp_path: Path) -> None:
    target = tmp_path / "referral.pdf"
    done = run_cli(saved, "report", "1", "--pdf", str(target), "--clinic-name", "Kibera Clinic")
    assert done.returncode == 0, done.stderr
    assert "Saved the report of 1 reading" in done.stdout
    assert target.stat().st_mode & 0o777 == 0o600
    with SqliteHistory(saved / "history.sqlite3") as history:
        reading = history.get(1)
    from cxr_desktop.service.clinic import ClinicInfo
    from cxr_desktop.service.report import build_report

    (text,) = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(target.read_bytes())).pages]
    page = build_report(reading, ClinicInfo("Kibera Clinic"))
    skipped = {page.footer}  # the footer has the time it was printed
    assert [t for t in page.texts() if t not in skipped and squash(t) not in squash(text)] == []
    for fact in ("Kibera Clinic", "PID-0042", "Doe, Jane", "34 years", "Female", "Mar 1, 2026",
                 "Clinic One", "ACME DX-1", "PA", "1.2.3.4", "tiny-test-model 0.0.1"):
        assert squash(fact) in squash(text), fact


def test_report_of_a_missing_reading_writes_nothing(saved: Path, tmp_path: Path) -> None:
    done = run_cli(saved, "report", "1", "99", "--pdf", str(tmp_path / "x.pdf"))
    assert done.returncode == 2 and "99" in done.stderr and not (tmp_path / "x.pdf").exists()


def test_history_review_then_summary_pdf_and_csv(capsys, saved: Path, tmp_path: Path) -> None:
    assert cli.main(["history", "review", "1", "--confirmed", "viral pneumonia",
                     "--note", "seen by Dr. Ama", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["confirmed_label"] == "Viral_Pneumonia" and shown["note"] == "seen by Dr. Ama"
    assert shown["dicom"]["patient_age"] == "034Y"
    assert cli.main(["history", "review", "1", "--confirmed", "Pneumothorax"]) == 2
    assert "not a finding" in capsys.readouterr().err
    today = date.today().isoformat()
    pdf, csv_file = tmp_path / "month.pdf", tmp_path / "month.csv"
    done = run_cli(saved, "summary", "--from", today, "--to", today, "--pdf", str(pdf),
                   "--csv", str(csv_file))
    assert done.returncode == 0, done.stderr
    assert "Readings: 1" in done.stdout and "Reviewed (confirmed finding recorded): 1" in done.stdout
    text = squash(pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text())
    assert squash("Summary of chest X-ray readings") in text and squash("Readings") in text
    assert csv_file.stat().st_mode & 0o777 == 0o600
    assert "Reviewed (confirmed finding recorded),1" in csv_file.read_text(encoding="utf-8-sig")


def test_summary_refuses_a_backwards_period(capsys, app_home: Path) -> None:
    assert cli.main(["summary", "--from", "2026-03-10", "--to", "2026-03-01"]) == 2
    assert cli.main(["summary", "--from", "March"]) == 2
