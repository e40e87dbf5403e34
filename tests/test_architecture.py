"""Dependency rules: core imports no Qt, no torch, no ui; the CLI does not import Qt."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_imports_no_qt_no_torch_no_ui():
    mods = _modules_after(
        "import cxr_desktop.core.imaging, cxr_desktop.core.preprocess, cxr_desktop.core.inference, "
        "cxr_desktop.core.storage, cxr_desktop.core.model_card, cxr_desktop.core.errors, cxr_desktop.core.types"
    )
    for forbidden in ("PySide6", "shiboken6", "torch", "cxr_desktop.ui", "training"):
        assert not any(m == forbidden or m.startswith(forbidden + ".") for m in mods), forbidden


def test_import_linter_contracts_hold():
    from pathlib import Path

    exe = Path(sys.executable).with_name("lint-imports")
    lint = subprocess.run([str(exe), "--no-cache"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert lint.returncode == 0, lint.stdout + lint.stderr
