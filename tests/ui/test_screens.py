"""The real window under Xvfb (with openbox when installed), one X server per screen: at
1024x768, 1366x768 and 1920x1080, at 200 % HiDPI, with a desktop's 125 % / 150 % text setting
and with bigger fonts alone, in English and in the longest and the right-to-left language, the
key widgets (banner, finding, every probability bar, the review button, the history's buttons
and count, the status bar) lie fully inside the screen without scrolling, no button's text is
cut, and Ctrl+E works from the history's search box. See tests/ui/screens.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (xvfb-run)")

SCREENS = [
    ("1024x768", []), ("1366x768", []), ("1920x1080", []),
    ("1366x768", ["--scale", "2"]),  # HiDPI 200 %: a 2732x1536 panel
    ("1024x768", ["--scale", "2"]),
    ("1366x768", ["--dpi", "120"]),  # text at 125 % (Xft.dpi 120)
    ("1920x1080", ["--dpi", "144"]),  # text at 150 %
    ("1024x768", ["--font-scale", "1.25"]),
    ("1366x768", ["--font-scale", "1.5"]),
    ("1024x768", ["--lang", "fr"]),
    ("1024x768", ["--lang", "ar"]),
    ("1366x768", ["--lang", "bn", "--font-scale", "1.25"]),
]


def run_screen(size: str, extra: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    done = subprocess.run([sys.executable, "-m", "tests.ui.screens", "--size", size, *extra],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1])


@pytest.mark.slow
@pytest.mark.parametrize(("size", "extra"), SCREENS, ids=[f"{s}{''.join(e)}" for s, e in SCREENS])
def test_key_widgets_are_on_screen(size, extra):
    report = run_screen(size, extra)
    assert report["platform"] == "xcb"
    assert report["problems"] == [], json.dumps(report, indent=1)
    if "--scale" in extra:
        assert report["dpr"] == 2.0
    if "--dpi" in extra:
        assert report["dpr"] > 1.2  # the whole window is scaled, as on the desktop
    if "--font-scale" in extra:
        assert report["font_px"] >= 20
