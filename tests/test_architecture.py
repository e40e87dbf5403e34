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


def test_service_and_commands_import_no_qt():
    mods = _modules_after(
        "import cxr_desktop.service.reading, cxr_desktop.service.batch, cxr_desktop.service.folders, "
        "cxr_desktop.service.wording, cxr_desktop.composition, cxr_desktop.cli, "
        "cxr_desktop.commands.predict, cxr_desktop.commands.history"
    )
    for forbidden in ("PySide6", "shiboken6", "torch", "cxr_desktop.ui", "training"):
        assert not any(m == forbidden or m.startswith(forbidden + ".") for m in mods), forbidden


def test_storage_public_surface_names_no_database_engine():
    """Only the protocol and backend-neutral names are public; SQLite lives in its subpackage."""
    from cxr_desktop.core import storage

    public = set(storage.__all__)
    assert public == {name for name in dir(storage) if not name.startswith("_")} - {
        "annotations", "protocol", "query", "readings", "times", "search_text", "csv_export",
        "sqlite", "Path", "safeguards",
        "postgresql", "accounts", "audit", "reviews", "copy"}  # issues 14, 15
    assert not any("sqlite" in name.lower() or name.startswith("_") for name in public)
    assert "HistoryStore" in public and "open_history" in public


def test_ui_never_names_the_sqlite_backend():
    from pathlib import Path

    ui = Path(__file__).resolve().parent.parent / "cxr_desktop" / "ui"
    offenders = [p.name for p in ui.glob("*.py") if "storage.sqlite" in p.read_text(encoding="utf-8")
                 or "SqliteHistory" in p.read_text(encoding="utf-8")]
    assert offenders == []
