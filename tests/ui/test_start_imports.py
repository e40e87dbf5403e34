"""What the GUI imports at start: a DICOM library only once a DICOM file or media is read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_modules_do_not_import_pydicom() -> None:
    code = ("import sys, cxr_desktop.ui.app, cxr_desktop.ui.main_window; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydicom'))")
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120, check=True)
    assert out.stdout.strip() == "[]"
