"""Issue 11's commands on a clinic server (CXR_DESKTOP_DATABASE=postgresql://...), tried as a
clinic would: ``import`` a CD and ``watch`` a folder (saves of the person signed in, with the
clinic's site calibration, the DICOM facts on the server, nothing read twice), ``history
review``, ``report`` (anyone who may read the reading) and ``summary`` (a supervisor's: an
export), all in the server's audit trail; offline, imports are kept on this PC with their facts
and sent later, while reports and summaries of the server's readings wait for it, saying so."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest

from cxr_desktop.core.model_card import load_model_card
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.accounts import StaffSession
from tests.core.media_factory import make_cd
from tests.core.storage.contract_site_profiles import make_profile
from tests.test_cli import json_lines, run_main, write_gray_png
from tests.test_cli_report import run_cli
from tests.ui.test_report_pdf import squash

pytestmark = pytest.mark.filterwarnings("ignore:The referenced SOP Instance")


def sign_in_as(monkeypatch, name: str, pin: str) -> None:
    monkeypatch.setenv("CXR_DESKTOP_USER", name)
    monkeypatch.setenv("CXR_DESKTOP_PIN", pin)


def test_the_paperwork_commands_on_a_clinic_server_with_staff_accounts(
        capsys, server_up, app_home: Path, tiny_model_dir: Path, tmp_path: Path,
        monkeypatch) -> None:
    url = server_up.new_history_url()
    card = load_model_card(tiny_model_dir)
    with PostgresHistory(url) as server:
        session = StaffSession(server, workstation="server")
        session.add_account("kofi", SUPERVISOR, "9999")
        session.sign_in("kofi", "9999")
        session.add_account("ama", HEALTH_WORKER, "1111")
        profile = server.add_site_profile(make_profile(
            model_name=card.name, model_version=card.version, model_sha256=card.sha256,
            offsets={label: 0.0 for label in card.labels}))
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    sign_in_as(monkeypatch, "ama", "1111")
    today = date.today()
    days = ("--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1)))
    model = ("--model-dir", tiny_model_dir)
    cd = make_cd(tmp_path / "cd")

    code, out, err = run_main(capsys, "import", cd, "--save", *model)
    assert code == 0 and "[saved as #1]" in out and "1 of 4 image read." in out, err
    code, out, _ = run_main(capsys, "import", cd, "--save", "--json", *model)  # the same CD
    assert code == 0 and [o["existing_id"] for o in json_lines(out) if "existing_id" in o] == [1]
    watched = tmp_path / "export"
    watched.mkdir()
    write_gray_png(watched / "xray.png")
    code, out, _ = run_main(capsys, "watch", watched, "--once", "--interval", "0.1",
                            "--settle", "0.2", *model)
    assert code == 0 and "xray.png: saved as #2" in out
    with PostgresHistory(url) as server:
        imported, watched_reading = server.get(1), server.get(2)
    assert imported.dicom.patient_age == "041Y" and imported.dicom.institution == "Mobile X-ray unit 3"
    assert imported.site_profile_id == profile.id == watched_reading.site_profile_id
    assert watched_reading.dicom is None

    code, out, _ = run_main(capsys, "history", "review", "1", "--confirmed", "Normal",
                            "--note", "seen at the desk")
    assert code == 0 and "reviewed: Normal" in out
    pdf = tmp_path / "referral.pdf"
    done = run_cli(app_home, "report", "1", "2", "--pdf", str(pdf))  # no display, own process
    assert done.returncode == 0 and "Saved the reports of 2 readings" in done.stdout, done.stderr
    first_page = squash(pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text())
    assert squash("seen at the desk") in first_page and squash("Mobile X-ray unit 3") in first_page
    code, _, err = run_main(capsys, "summary", *days, "--csv", tmp_path / "month.csv")
    assert code == 2 and "Only a supervisor can export the history." in err
    assert not (tmp_path / "month.csv").exists()
    sign_in_as(monkeypatch, "kofi", "9999")
    code, out, _ = run_main(capsys, "summary", *days, "--csv", tmp_path / "month.csv")
    assert code == 0 and "Readings: 2" in out and (tmp_path / "month.csv").exists()

    with PostgresHistory(url) as server:
        trail = server.search_audit(AuditQuery(descending=False, limit=1000))
        uids = {1: server.get(1).uid, 2: server.get(2).uid}
    done = [(e.actor, e.action, e.reading_id) for e in trail
            if e.action in ("save", "review", "report", "export", "denied")]
    assert done == [("ama", "save", 1), ("ama", "save", 2), ("ama", "review", 1),
                    ("ama", "report", 1), ("ama", "report", 2), ("ama", "denied", None),
                    ("kofi", "export", None)]
    reports = [e for e in trail if e.action == "report"]
    assert [(e.reading_uid, e.detail) for e in reports] == [(uids[1], "report (PDF)"),
                                                           (uids[2], "report (PDF)")]
    denied, export = (e for e in trail if e.action in ("denied", "export"))
    assert denied.detail == "export"
    assert export.detail.startswith(f"period summary {days[1]} to {days[3]} (readings: 2, ")
    assert export.detail.endswith("): shown, CSV")


def test_offline_imports_are_kept_with_their_facts_and_reports_wait_for_the_server(
        capsys, server_up, app_home: Path, tiny_model_dir: Path, tmp_path: Path,
        monkeypatch) -> None:
    url = server_up.new_history_url()
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    model = ("--model-dir", tiny_model_dir)
    # this PC worked online before (so it knows which site calibration the clinic uses: none)
    assert run_main(capsys, "import", make_cd(tmp_path / "cd1"), "--save", *model)[0] == 0
    server_up.stop()  # the network goes down
    second = make_cd(tmp_path / "cd2", patient_id="CD-0008", seed=5)
    code, out, err = run_main(capsys, "import", second, "--save", *model)
    assert code == 0 and "[kept on this PC until the clinic database is back]" in out
    assert "note: Working offline" in err and "1 new reading is kept" in err
    code, out, _ = run_main(capsys, "import", second, "--save", "--json", *model)  # again
    (known,) = [o for o in json_lines(out) if "existing_id" in o]
    assert known["existing_id"] < 0  # found in this PC's queue: not read twice
    with SqliteHistory(app_home / "outbox.sqlite3") as outbox:
        (queued,) = outbox.search()
        kept_facts = outbox.get(queued.id).dicom
    assert kept_facts is not None and kept_facts.patient_sex == "F"
    done = run_cli(app_home, "report", "1", "--pdf", str(tmp_path / "r.pdf"))
    assert done.returncode == 2 and "cannot be reached" in done.stderr
    assert not (tmp_path / "r.pdf").exists()
    code, _, err = run_main(capsys, "summary")
    assert code == 2 and "cannot be reached" in err

    server_up.start()  # back: the next command sends what was kept, with its facts
    assert run_main(capsys, "history", "list")[0] == 0
    with PostgresHistory(url) as server:
        (sent,) = server.find_same_image(sop_instance_uid=kept_facts.sop_instance_uid)
        assert server.get(sent.id).dicom == kept_facts and sent.patient_id == "CD-0008"
        assert server.count() == 2
