"""The Qt shell. Imports cxr_desktop.core; core never imports this package.

Importing this package applies :func:`cxr_desktop.ui.qt_compat.protect_none_refcount` (without
importing PySide6, so ``app.py`` can still load onnxruntime before Qt).
"""

from cxr_desktop.ui.qt_compat import protect_none_refcount

protect_none_refcount()
