"""The PySide6 refcount regression guard."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    ping = Signal(int)


def test_installed_pyside_does_not_leak_none_or_bool_references(qapp):
    """PySide6 6.12.0 on Python 3.11 released a reference to None on every void call and to
    True/False on every emit, aborting the interpreter after a few thousand calls ("none_dealloc").
    pyproject.toml pins PySide6-Essentials < 6.12; this guards the pin."""
    obj = _Emitter()
    obj.ping.connect(lambda _n: None)
    before = {v: sys.getrefcount(v) for v in (None, True, False)}
    for i in range(2_000):
        obj.setObjectName("x")
        obj.ping.emit(i)
    for value, count in before.items():
        assert abs(sys.getrefcount(value) - count) < 100, value
