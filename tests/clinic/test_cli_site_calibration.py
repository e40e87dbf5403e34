"""``cxr-desktop quality`` and ``calibrate`` on a clinic server (CXR_DESKTOP_DATABASE), tried as
a clinic would: a supervisor fits and signs off a site calibration, the next readings use it;
the server stops: readings go on with the calibration as last known (and the command says so),
while signing off or rolling back waits for the server; it comes back: what was kept is sent
with its calibration. With staff accounts on, calibrating and the quality view are a
supervisor's, and the server's audit trail has them."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from cxr_desktop.core.model_card import load_model_card
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.accounts import StaffSession
from tests.service.synthetic import site_readings
from tests.test_cli import run_main, write_gray_png


@pytest.fixture
def clinic_server(server_up, app_home: Path, tiny_model_dir: Path, monkeypatch) -> str:
    """A clinic server holding 700 confirmed readings made with the tiny model; this PC uses it."""
    url = server_up.new_history_url()
    sha = load_model_card(tiny_model_dir).sha256
    with PostgresHistory(url) as server:
        for reading in site_readings(700, seed=21, sha=sha):
            server.add(replace(reading, model_name="tiny-test-model", model_version="0.0.1"))
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    return url


def test_a_site_calibration_on_the_clinic_server_through_an_outage(
        capsys, server_up, clinic_server: str, app_home: Path, tiny_model_dir: Path,
        tmp_path: Path) -> None:
    model = ("--model-dir", tiny_model_dir)
    code, out, err = run_main(capsys, "quality", "--json", *model)
    assert code == 0 and err == "" and json.loads(out)["readings"] == 700
    fit = json.loads(run_main(capsys, "calibrate", "--fit", "--json", *model)[1])
    assert fit["can_apply"] and fit["n"] == 700
    code, out, _ = run_main(capsys, "calibrate", "--apply", "--proposal", fit["code"],
                            "--signed-by", "Dr. Ama", *model)
    assert code == 0 and "#1" in out
    image = write_gray_png(tmp_path / "next.png")
    code, out, _ = run_main(capsys, "predict", image, "--save", "--json", *model)
    online = json.loads(out)
    assert code == 0 and online["site_calibration"] == 1 and online["id"] > 0

    server_up.stop()  # the middle of the day
    code, out, err = run_main(capsys, "predict", image, "--save", "--json", *model)
    offline = json.loads(out)
    assert code == 0 and offline["id"] < 0 and offline["site_calibration"] == 1
    assert offline["probabilities"] == online["probabilities"]  # the same calibration
    assert ("note: Working offline: new readings use site calibration #1, signed off by Dr. Ama, "
            "as it was last known from the clinic database") in err
    assert "1 new reading is kept on this PC" in err
    code, _, err = run_main(capsys, "calibrate", "--rollback", "--signed-by", "Dr. Ama", *model)
    assert code == 2 and "cannot be rolled back now" in err
    code, _, err = run_main(capsys, "calibrate", *model)
    assert code == 2 and "cannot be listed now" in err
    code, _, err = run_main(capsys, "quality", *model)
    assert code == 2 and "cannot be reached" in err
    kept = app_home / "outbox-site-profile.json"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600 and "admin-secret" not in kept.read_text()
    with SqliteHistory(app_home / "outbox.sqlite3") as outbox:
        (queued,) = outbox.search()
        assert queued.site_profile_id == 1 and queued.model_probabilities

    server_up.start()  # back: the next command sends what was kept
    assert run_main(capsys, "history", "list")[0] == 0
    with PostgresHistory(clinic_server) as server:
        newest = server.search(ReadingQuery(limit=2))
        assert [r.site_profile_id for r in newest] == [1, 1] and len({r.uid for r in newest}) == 2
        assert server.count() == 702
    code, out, _ = run_main(capsys, "calibrate", "--rollback", "--signed-by", "Dr. Ama", *model)
    assert code == 0 and "model's own calibration" in out
    server_up.stop()  # offline again: the rollback is what this PC knows now
    code, out, err = run_main(capsys, "predict", image, "--save", "--json", *model)
    assert code == 0 and json.loads(out)["site_calibration"] is None
    assert "site calibration #" not in err


def test_a_pc_that_never_reached_the_server_makes_no_reading_with_a_guess(
        capsys, app_home: Path, monkeypatch, tiny_model_dir: Path, tmp_path: Path) -> None:
    from tests.pg_server import free_port

    monkeypatch.setenv("CXR_DESKTOP_DATABASE",
                       f"postgresql://cxr_app:pw@127.0.0.1:{free_port()}/cxr")  # nobody there
    image = write_gray_png(tmp_path / "first.png")
    code, out, err = run_main(capsys, "predict", image, "--save", "--model-dir", tiny_model_dir)
    assert code == 2 and out == ""
    assert "has not yet learned from it which site calibration the clinic uses" in err
    with SqliteHistory(app_home / "outbox.sqlite3") as outbox:
        assert outbox.count() == 0
    code, out, err = run_main(capsys, "predict", image, "--model-dir", tiny_model_dir)
    assert code == 0 and out.startswith(str(image))
    assert "These results use the AI model's own calibration, not this clinic's." in err


def test_with_staff_accounts_calibrating_and_the_quality_view_are_a_supervisors(
        capsys, clinic_server: str, monkeypatch, tiny_model_dir: Path, tmp_path: Path) -> None:
    with PostgresHistory(clinic_server) as server:
        session = StaffSession(server, workstation="server")
        session.add_account("kofi", SUPERVISOR, "9999")
        session.sign_in("kofi", "9999")
        session.add_account("ama", HEALTH_WORKER, "1111")
    model = ("--model-dir", tiny_model_dir)
    monkeypatch.setenv("CXR_DESKTOP_USER", "ama")
    monkeypatch.setenv("CXR_DESKTOP_PIN", "1111")
    for command in (("calibrate", "--fit"), ("calibrate",), ("quality",)):
        code, _, err = run_main(capsys, *command, *model)
        assert code == 2 and "Only a supervisor can" in err
    monkeypatch.setenv("CXR_DESKTOP_USER", "kofi")
    monkeypatch.setenv("CXR_DESKTOP_PIN", "9999")
    assert run_main(capsys, "quality", "--json", *model)[0] == 0
    fit = json.loads(run_main(capsys, "calibrate", "--fit", "--json", *model)[1])
    assert run_main(capsys, "calibrate", "--apply", "--proposal", fit["code"], "--signed-by",
                    "Kofi Boateng", *model)[0] == 0
    monkeypatch.setenv("CXR_DESKTOP_USER", "ama")
    monkeypatch.setenv("CXR_DESKTOP_PIN", "1111")
    image = write_gray_png(tmp_path / "next.png")
    code, out, _ = run_main(capsys, "predict", image, "--save", "--json", *model)
    assert code == 0 and json.loads(out)["site_calibration"] == 1  # her readings use it
    with PostgresHistory(clinic_server) as server:
        trail = server.search_audit(AuditQuery(descending=False, limit=1000))
    steps = [(e.actor, e.action, e.detail) for e in trail if e.action in ("denied", "quality",
                                                                          "calibrate")]
    assert steps[:3] == [("ama", "denied", "calibrate"), ("ama", "denied", "calibrate"),
                         ("ama", "denied", "quality")]
    assert [(a, x) for a, x, _d in steps[3:]] == [("kofi", "quality"), ("kofi", "calibrate"),
                                                   ("kofi", "calibrate"), ("kofi", "calibrate")]
    assert steps[-1][2].startswith("signed off site calibration #1 ")
    assert ("ama", "save") in [(e.actor, e.action) for e in trail]
