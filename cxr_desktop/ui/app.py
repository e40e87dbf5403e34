"""Composition root of the GUI: logging, crash handler, QApplication, model, history, main window.

``run_gui(files)`` is what ``cxr-desktop`` calls; ``create_main_window(...)`` builds the same
window for tests (no event loop, no excepthook, disclaimer only when asked for).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

# onnxruntime must be imported before PySide6: both ship native libraries (MSVC runtime, OpenMP)
# and loading Qt first can break onnxruntime's DLL resolution on Windows. Keep it first here.
import onnxruntime  # noqa: F401
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontInfo, QIcon
from PySide6.QtWidgets import QApplication, QDialog

from cxr_desktop import APP_NAME, __version__, paths
from cxr_desktop.core.errors import ModelError, StorageError
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage import History
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.logging_setup import (
    install_excepthook,
    install_qt_message_handler,
    setup_logging,
)
from cxr_desktop.ui.main_window import MainWindow
from cxr_desktop.ui.settings import APPLICATION, ORGANIZATION, AppSettings

log = logging.getLogger(__name__)

BASE_POINT_SIZE = 10.5


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0] if sys.argv else APP_NAME])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setStyle("Fusion")
    # One light look everywhere: the warning colours and text contrast are designed for it.
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(Qt.ColorScheme.Light)
    app.setPalette(app.style().standardPalette())
    icon = paths.icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    font = QFont(app.font())
    if font.pointSizeF() < BASE_POINT_SIZE:
        font.setPointSizeF(BASE_POINT_SIZE)
        app.setFont(font)
    family = QFontInfo(app.font()).family()
    if not family:
        log.warning("no usable font found: text may not render")
    return app  # type: ignore[return-value]


def load_classifier(model_dir: Path | str | None = None) -> tuple[Classifier | None, str | None]:
    """The classifier, or None and a message for the user when the model cannot be used."""
    folder = Path(model_dir) if model_dir is not None else paths.model_dir()
    try:
        classifier = Classifier(folder)
    except ModelError as exc:
        log.error("model not loaded: %s (%s)", exc.message, exc.detail)
        return None, exc.message
    except Exception as exc:  # noqa: BLE001 - the app must start without a model
        log.exception("model not loaded: unexpected error")
        return None, f"The AI model could not be loaded ({type(exc).__name__})."
    log.info("model %s %s loaded (%d threads)", classifier.card.name, classifier.card.version,
             classifier.threads)
    return classifier, None


def open_history(path: Path | str | None = None) -> tuple[History | None, str | None]:
    try:
        return History(path), None
    except StorageError as exc:
        log.error("history not opened: %s (%s)", exc.message, exc.detail)
        return None, exc.message


def create_main_window(files: Sequence[str] = (), *, model_dir: Path | str | None = None,
                       classifier: Classifier | None = None, history: History | None = None,
                       settings: AppSettings | None = None,
                       show_disclaimer: bool = False) -> MainWindow | None:
    """Build the main window (QApplication must exist). Returns None when the user declines the
    first-run disclaimer. A classifier/history passed in is used as is (tests); otherwise they
    are made from ``model_dir`` / the default locations, and the window closes the history."""
    settings = settings or AppSettings()
    if show_disclaimer and not settings.disclaimer_accepted:
        if dialogs.DisclaimerDialog().exec() != QDialog.DialogCode.Accepted:
            log.info("disclaimer declined")
            return None
        settings.accept_disclaimer()
    model_error = None
    if classifier is None:
        classifier, model_error = load_classifier(model_dir)
    owns_history = history is None
    history_error = None
    if history is None:
        history, history_error = open_history()
    window = MainWindow(classifier, history, settings, model_error=model_error,
                        history_error=history_error, owns_history=owns_history)
    if model_error:
        QTimer.singleShot(0, window, lambda: dialogs.show_error(
            window, "AI model not available",
            f"{model_error}\n\nYou can still view X-rays and the history, but no new readings "
            "can be made."))
    if history_error:
        QTimer.singleShot(0, window, lambda: dialogs.show_error(
            window, "History not available",
            f"{history_error}\n\nNew readings will be shown but NOT saved."))
    if files:
        QTimer.singleShot(0, window, lambda: window.open_paths([str(f) for f in files]))
    return window


def run_gui(files: list[str] | None = None) -> int:
    """Start the application; blocks until the main window is closed. Returns the exit code."""
    log_path = setup_logging()
    install_excepthook()
    app = create_application()
    install_qt_message_handler()
    log.info("log file: %s", log_path)
    window = create_main_window(files or [], show_disclaimer=True)
    if window is None:
        return 0
    window.show()
    code = app.exec()
    log.info("exit code %d", code)
    return int(code)
