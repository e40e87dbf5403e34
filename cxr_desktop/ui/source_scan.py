"""Keeps PySide6's import hook from filling Python's source-line cache.

PySide6 (``shibokensupport.feature``, PYSIDE-2029) asks of every module imported after it
whether its source names "PySide6", through ``inspect.getsource(module)``; as a side effect
``linecache`` keeps every line of every such module for the rest of the run (7-12 MB of text from
a source checkout; nothing in the frozen app, which has no .py files). :func:`install` answers
the same question from the file's bytes, read once and dropped, and empties ``linecache`` of what
the hook put there (a traceback reads its lines again when it needs them).

Where PySide6 changes its hook, nothing is replaced and only the cache is emptied.
"""

from __future__ import annotations

import linecache
import sys
from types import ModuleType

_HOOK_MODULE = "shibokensupport.feature"
_HOOK = "_mod_uses_pyside"


def install() -> bool:
    """Replace the hook's source test (once) and empty linecache. True when replaced now or
    before."""
    linecache.clearcache()
    feature = sys.modules.get(_HOOK_MODULE)
    original = getattr(feature, _HOOK, None)
    if feature is None or not callable(original):
        return False
    if getattr(original, "reads_bytes", False):
        return True

    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as handle:
                    return b"PySide6" in handle.read()
            except OSError:
                pass
        return bool(original(module))  # built-in, frozen or zipped modules: PySide6's own test

    mod_uses_pyside.reads_bytes = True  # type: ignore[attr-defined]
    setattr(feature, _HOOK, mod_uses_pyside)
    return True
