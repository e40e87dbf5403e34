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


# ------------------------------------------------------------------------------ no display


def _without_display(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_RUNTIME_DIR")}
    env.update(CXR_DESKTOP_HOME=str(tmp_path / "user-home"),
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "cxr_desktop", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)


def test_smoke_test_without_a_display_says_so_and_does_not_abort(tmp_path: Path) -> None:
    proc = _without_display(tmp_path, "--smoke-test")
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-2000:])  # Qt's abort: -6 / 134
    assert "No display was found" in proc.stderr and "xcb-cursor" not in proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["smoke_test"] == "failed" and "DISPLAY" in report["error"]


def test_window_without_a_display_says_so_and_does_not_abort(tmp_path: Path) -> None:
    proc = _without_display(tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert proc.stderr.startswith("error: No display was found") and "xcb" not in proc.stderr


@pytest.mark.parametrize(("environ", "usable"), [
    ({}, False),
    ({"DISPLAY": ":0"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"QT_QPA_PLATFORM": "offscreen"}, True),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, True),
    ({"QT_QPA_PLATFORM": "xcb"}, False),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"}, True),
    ({"QT_QPA_PLATFORM": "wayland"}, False),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, True),
    ({"DISPLAY": ""}, False),
])  # fmt: skip
def test_missing_display_message(environ: dict[str, str], usable: bool) -> None:
    from cxr_desktop.display import missing_display_message

    message = missing_display_message(environ, "linux")
    assert (message is None) == usable, message
    if message:
        assert message.startswith("No display was found") and "predict" in message
    assert missing_display_message({}, "win32") is None
    assert missing_display_message({}, "darwin") is None
