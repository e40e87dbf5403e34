"""Work-arounds for bugs in the Qt bindings. Must not import PySide6 (see ui/__init__.py).

PySide6 6.12.0 on Python 3.11: every call of a bound method that returns nothing (``void`` in
C++: ``widget.setEnabled(True)``, ``app.processEvents()``, ...) releases one reference to
``None`` that it never took, and every ``signal.emit(...)`` does the same to ``True``/``False``
(its return value). Python 3.12+ made these singletons immortal, so it does not matter there; on
3.11 the count reaches zero after a few thousand calls and the interpreter aborts with "Fatal
Python error: none_dealloc: deallocating None" (or ``bool_dealloc``). Reproduce with::

    r = sys.getrefcount(None); [w.setEnabled(True) for _ in range(100)]
    sys.getrefcount(None) - r   # -100 with PySide6 6.12.0 / Python 3.11, 0 with 6.11.3

The work-around gives these singletons the huge reference count that 3.12's immortal objects
have, so the stray releases can never bring them to zero (2**60 of them would be needed). It only
touches the counters of ``None``, ``True`` and ``False``, only on Python < 3.12 and only with
PySide6 >= 6.12. Pinning ``PySide6-Essentials<6.12`` on Python 3.11 avoids the bug altogether.
"""

from __future__ import annotations

import ctypes
import sys
from importlib import metadata

IMMORTAL_MARGIN = 1 << 60
_FIRST_AFFECTED = (6, 12)


def _pyside_version() -> tuple[int, ...] | None:
    for dist in ("PySide6-Essentials", "PySide6"):
        try:
            text = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        parts: list[int] = []
        for piece in text.split(".")[:3]:
            digits = "".join(ch for ch in piece if ch.isdigit())
            parts.append(int(digits or 0))
        return tuple(parts)
    return None


def needs_none_protection(python: tuple[int, int] | None = None,
                          pyside: tuple[int, ...] | None = None) -> bool:
    python = python or (sys.version_info.major, sys.version_info.minor)
    if python >= (3, 12):
        return False  # None is immortal
    version = pyside if pyside is not None else _pyside_version()
    # Unknown (e.g. a frozen build without package metadata): protect, it costs nothing.
    return version is None or tuple(version[:2]) >= _FIRST_AFFECTED


PROTECTED_SINGLETONS = (None, True, False)


def protect_none_refcount() -> bool:
    """Make ``None``, ``True`` and ``False`` practically immortal when the installed PySide6
    needs it. Idempotent."""
    if not needs_none_protection():
        return False
    for singleton in PROTECTED_SINGLETONS:
        counter = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt: PyObject's 1st field
        if counter.value < IMMORTAL_MARGIN // 2:
            counter.value += IMMORTAL_MARGIN
    return True
