"""``cxr-desktop quality`` and ``cxr-desktop calibrate`` from the command line: the figures, and a
site calibration fitted, signed off, used by the next ``predict`` and rolled back."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from cxr_desktop.core.model_card import load_model_card
from cxr_desktop.core.storage import open_history
from cxr_desktop.core.storage.query import ReadingQuery
from tests.service.sites import month_start
from tests.service.synthetic import site_readings
from tests.test_cli import run_main, write_gray_png


@pytest.fixture
def clinic(app_home: Path, tiny_model_dir: Path) -> str:
    """A history of 700 confirmed readings made with the tiny model (over-confident and
    biased at this 'clinic')."""
    sha = load_model_card(tiny_model_dir).sha256
    with open_history(app_home / "history.sqlite3") as store:
        for r in site_readings(700, seed=21, sha=sha):
            store.add(replace(r, model_name="tiny-test-model", model_version="0.0.1"))
    return sha


def test_quality_on_an_empty_history(capsys, app_home, tiny_model_dir) -> None:
    code, out, err = run_main(capsys, "quality", "--json", "--model-dir", tiny_model_dir)
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj["readings"] == 0 and obj["drift"]["alarm"] is False
    code, out, _ = run_main(capsys, "quality", "--model-dir", tiny_model_dir)
    assert code == 0 and "No readings of this model version yet." in out


def test_quality_figures(capsys, clinic, tiny_model_dir) -> None:
    first = month_start()
    last = first + timedelta(days=9)
    code, out, _ = run_main(capsys, "quality", "--json", "--from", first.date().isoformat(),
                            "--to", last.date().isoformat(), "--model-dir", tiny_model_dir)
    obj = json.loads(out)
    assert code == 0 and obj["readings"] == 250  # 25 a day, 10 days
    assert obj["confirmed"]["k"] == 250 and len(obj["confusion"]["counts"]) == 4
    assert obj["per_class"]["Normal"]["sensitivity"]["ci95"][0] <= obj["per_class"]["Normal"][
        "sensitivity"]["estimate"]
    assert [m["month"] for m in obj["months"]] == [first.strftime("%Y-%m")]
    assert obj["drift"]["checks"][0]["figure"] == "referral"
    code, out, _ = run_main(capsys, "quality", "--model-dir", tiny_model_dir)
    assert code == 0 and "Confusion matrix" in out and "No site calibration" in out


def test_fit_apply_predict_and_roll_back(capsys, clinic, tiny_model_dir, tmp_path) -> None:
    code, out, _ = run_main(capsys, "calibrate", "--fit", "--json", "--model-dir", tiny_model_dir)
    fit = json.loads(out)
    assert code == 0 and fit["status"] == "recommended" and fit["can_apply"] and fit["n"] == 700
    assert fit["after"]["nll"] < fit["before"]["nll"]
    code, out, _ = run_main(capsys, "calibrate", "--fit", "--model-dir", tiny_model_dir)
    assert fit["code"] in out and "Threshold table" in out
    code, _, err = run_main(capsys, "calibrate", "--apply", "--proposal", fit["code"],
                            "--model-dir", tiny_model_dir)
    assert code == 2 and "--signed-by" in err  # never without a name
    code, _, err = run_main(capsys, "calibrate", "--apply", "--proposal", "DEADBEEF",
                            "--signed-by", "Dr. Ama", "--model-dir", tiny_model_dir)
    assert code == 2 and fit["code"] in err  # not the fit that was shown: refused
    code, out, _ = run_main(capsys, "calibrate", "--json", "--model-dir", tiny_model_dir)
    assert json.loads(out)["profiles"] == []
    code, out, _ = run_main(capsys, "calibrate", "--apply", "--proposal", fit["code"].lower(),
                            "--signed-by", "Dr. Ama", "--model-dir", tiny_model_dir)
    assert code == 0 and "#1" in out
    status = json.loads(run_main(capsys, "calibrate", "--json", "--model-dir", tiny_model_dir)[1])
    assert status["in_use"] == 1 and status["profiles"][0]["signed_by"] == "Dr. Ama"

    image = write_gray_png(tmp_path / "next.png")
    code, out, _ = run_main(capsys, "predict", image, "--save", "--json", "--model-dir",
                            tiny_model_dir)
    calibrated = json.loads(out)
    code, out, _ = run_main(capsys, "predict", image, "--json", "--model-dir", tiny_model_dir)
    assert json.loads(out)["probabilities"] == calibrated["probabilities"]  # not saved: the same
    code, out, _ = run_main(capsys, "calibrate", "--rollback", "--signed-by", "Dr. Ama",
                            "--model-dir", tiny_model_dir)
    assert code == 0 and "model's own calibration" in out
    code, out, _ = run_main(capsys, "predict", image, "--save", "--json", "--model-dir",
                            tiny_model_dir)
    plain = json.loads(out)
    assert plain["probabilities"] != calibrated["probabilities"]
    with open_history() as store:
        newest = store.search(ReadingQuery(limit=2))
        assert [r.site_profile_id for r in newest] == [None, 1]
        assert newest[1].model_probabilities == plain["probabilities"]
    code, _, err = run_main(capsys, "calibrate", "--rollback", "--signed-by", "X",
                            "--model-dir", tiny_model_dir)
    assert code == 2 and "nothing to roll back" in err


def test_too_few_confirmed_readings_are_refused(capsys, app_home, tiny_model_dir) -> None:
    sha = load_model_card(tiny_model_dir).sha256
    with open_history(app_home / "history.sqlite3") as store:
        for r in site_readings(50, seed=1, sha=sha):
            store.add(r)
    code, _, err = run_main(capsys, "calibrate", "--fit", "--model-dir", tiny_model_dir)
    assert code == 2 and "600" in err and "50" in err
