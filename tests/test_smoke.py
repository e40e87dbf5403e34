"""``cxr-desktop --smoke-test``: opens the real window, reports one JSON line, quits by itself.

Run from source in a subprocess (it starts its own QApplication and event loop); the frozen
executable is tested the same way in tests/packaging.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxr_desktop import cli
from cxr_desktop.smoke import process_start_unix, rss_kb

REPO_ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, model_dir: Path, *args: str) -> tuple[int, dict, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", CXR_DESKTOP_MODEL_DIR=str(model_dir),
               CXR_DESKTOP_HOME=str(tmp_path / "user-home"))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-m", "cxr_desktop", "--smoke-test", *args],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    lines = [line for line in proc.stdout.splitlines() if '"smoke_test"' in line]
    assert len(lines) == 1, (proc.stdout, proc.stderr)
    return proc.returncode, json.loads(lines[0]), proc.stderr


def test_smoke_test_with_an_image(tmp_path: Path, tiny_model_dir: Path, samples_dir: Path) -> None:
    image = sorted((samples_dir / "Normal").iterdir())[0]
    shot = tmp_path / "shot.png"
    code, report, err = _run(tmp_path, tiny_model_dir, str(image), "--smoke-screenshot", str(shot))
    assert code == 0 and report["smoke_test"] == "ok", (report, err)
    assert report["label"] in {"COVID-19", "Normal", "Viral_Pneumonia"}
    assert report["image_shown_unix"] >= report["window_shown_unix"] > 0
    assert report["icon_ok"] and report["font"] and report["platform"] == "offscreen"
    assert report["rss_kb"] > 10_000 and shot.stat().st_size > 10_000
    # The user's data is never touched: history and settings live in a temporary home.
    assert not (tmp_path / "user-home" / "history.sqlite3").exists()
    assert not (tmp_path / "user-home" / "settings.ini").exists()


def test_smoke_test_fails_when_a_dialog_appears(tmp_path: Path, tiny_model_dir: Path) -> None:
    missing = tmp_path / "missing.png"
    code, report, _ = _run(tmp_path, tiny_model_dir, str(missing), "--smoke-timeout", "60")
    assert code == 3 and report["smoke_test"] == "failed"
    assert "dialog" in report["error"]


def test_smoke_test_takes_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--smoke-test", str(tmp_path)]) == 2  # a folder
    assert cli.main(["--smoke-test", "a.png", "b.png"]) == 2
    assert "at most one image file" in capsys.readouterr().err


def test_process_figures() -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc")
    assert rss_kb() > 1000
    start = process_start_unix()
    assert start is not None and start > 1.5e9
