"""The frozen and installed app with no display (no DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM,
as on a server or over plain ssh): a plain message and a non-zero exit, never Qt's abort."""

from __future__ import annotations

import json

import pytest

from tests.packaging.conftest import Frozen

pytestmark = pytest.mark.packaging


def test_smoke_test_without_a_display(frozen: Frozen) -> None:
    proc = frozen.run("--smoke-test")  # the fixture's environment has no display at all
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-2000:])
    assert "No display was found" in proc.stderr and "xcb-cursor" not in proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["smoke_test"] == "failed"


def test_window_without_a_display(frozen: Frozen) -> None:
    proc = frozen.run()
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "No display was found" in proc.stderr
