"""PyInstaller run-time hook that replaces PyInstaller's own ``pyi_rth_pyside6`` (see build.spec).

PyInstaller's hook imports ``PySide6.QtCore`` when the frozen app starts, in every process: the
command line (``cxr-desktop predict``) would then load Qt, ICU and GLib although it never
shows a window (slower, and it fails on a server without Qt's system libraries), and Qt would
be loaded before onnxruntime, which the app avoids on purpose (DLL conflicts on Windows).

This hook does the same set-up without importing Qt: it sets the plug-in search path at once,
and registers PyInstaller's embedded ``qt.conf`` (Qt's prefix inside the bundle) right after
``PySide6.QtCore`` is first imported, i.e. only when the window is opened.
"""


def _pyi_rthook() -> None:
    import importlib.abc
    import importlib.util
    import os
    import sys

    from _pyi_rth_utils import is_macos_app_bundle, prepend_path_to_environment_variable
    from _pyi_rth_utils import qt as qt_rth_utils

    qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
    if sys.platform.startswith("win"):
        qt_path = os.path.join(sys._MEIPASS, "PySide6")
    else:
        qt_path = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_path, "plugins")
    if sys.platform.startswith("win"):
        prepend_path_to_environment_variable(sys._MEIPASS, "PATH")
    if sys.platform == "darwin" and not is_macos_app_bundle:
        prepend_path_to_environment_variable(sys._MEIPASS, "DYLD_LIBRARY_PATH")

    class _AfterQtCore(importlib.abc.MetaPathFinder):
        """Finds nothing itself: wraps the loader of PySide6.QtCore, once."""

        def find_spec(self, name, path=None, target=None):
            if name != "PySide6.QtCore":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_configure(module):
                exec_module(module)
                qt_rth_utils.create_embedded_qt_conf("PySide6", qt_path)

            spec.loader.exec_module = exec_and_configure
            return spec

    sys.meta_path.insert(0, _AfterQtCore())


_pyi_rthook()
del _pyi_rthook
