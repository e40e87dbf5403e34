"""PySide6's import hook keeps no copy of the source of modules imported after start-up."""

from __future__ import annotations

import linecache
import sys

import PySide6.QtCore  # noqa: F401 - the hook is installed with PySide6

from cxr_desktop.ui import source_scan


def test_modules_imported_later_leave_no_lines_in_linecache(tmp_path, monkeypatch):
    assert source_scan.install()
    assert source_scan.install()  # twice: still one replacement
    plain = tmp_path / "cxr_scan_plain.py"
    plain.write_text("VALUE = 1\n" * 2000, encoding="utf-8")
    qt = tmp_path / "cxr_scan_qt.py"
    qt.write_text("import PySide6.QtCore\nVALUE = 2\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:  # through __import__, which PySide6 wraps (as an import statement does)
        assert __import__("cxr_scan_plain").VALUE == 1
        assert __import__("cxr_scan_qt").VALUE == 2
        assert str(plain) not in linecache.cache
        assert str(qt) not in linecache.cache
        feature = sys.modules["shibokensupport.feature"]
        # The same answers as PySide6's own test: -1 = ignored, 0 = uses PySide6.
        assert feature.pyside_feature_dict["cxr_scan_plain"] == -1
        assert feature.pyside_feature_dict["cxr_scan_qt"] == 0
        assert feature._mod_uses_pyside(sys) is False  # built-in: PySide6's own test
    finally:
        sys.modules.pop("cxr_scan_plain", None)
        sys.modules.pop("cxr_scan_qt", None)
