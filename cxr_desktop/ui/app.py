"""Composition root of the GUI: logging, crash handler, language, QApplication, model, history,
main window.

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
from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontInfo, QIcon
from PySide6.QtWidgets import QApplication, QDialog

from cxr_desktop import APP_NAME, __version__, i18n, paths
from cxr_desktop.composition import load_classifier as make_classifier
from cxr_desktop.composition import open_store
from cxr_desktop.core.errors import ModelError, StorageError
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.i18n import _
from cxr_desktop.ui import accessibility, dialogs, source_scan
from cxr_desktop.ui.fonts import font_for, register_bundled_fonts
from cxr_desktop.ui.logging_setup import (
    install_excepthook,
    install_qt_message_handler,
    setup_logging,
)
from cxr_desktop.ui.main_window import MainWindow
from cxr_desktop.ui.settings import APPLICATION, ORGANIZATION, AppSettings

log = logging.getLogger(__name__)

BASE_POINT_SIZE = 10.5
_qt_translators: list[QTranslator] = []  # kept alive while installed
_base_font: list[QFont] = []  # the font before a language's script font was added


def apply_language(app: QApplication, language: str | None = None) -> str:
    """Use ``language`` (None: the system's) for our messages (gettext) and Qt's own dialogs
    (Qt's translations), the script's font (Bengali, Arabic), and mirror the layout for
    right-to-left languages."""
    code = i18n.set_language(language)
    if not _base_font:
        _base_font.append(QFont(app.font()))
    app.setFont(font_for(code, _base_font[0]))
    for old in _qt_translators:
        app.removeTranslator(old)
    _qt_translators.clear()
    # Qt's own words (standard buttons, text field menus, file dialogs): Qt's translations, or
    # ours for the languages Qt has none of (locale/qt, made by i18n_catalog from .ts files).
    folders = (QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
               str(paths.resource_path("cxr_desktop", "locale", "qt")))
    for folder in folders if code != i18n.SOURCE_LANGUAGE else ():
        translator = QTranslator(app)
        if translator.load(QLocale(code), "qtbase", "_", folder):
            app.installTranslator(translator)
            _qt_translators.append(translator)
            break
    extra = QTranslator(app)  # what Qt's translation lacks (the file dialog's labels)
    if code != i18n.SOURCE_LANGUAGE and extra.load(QLocale(code), "qtextra", "_", folders[1]):
        app.installTranslator(extra)
        _qt_translators.append(extra)
    app.setLayoutDirection(Qt.LayoutDirection.RightToLeft if i18n.is_right_to_left(code)
                           else Qt.LayoutDirection.LeftToRight)
    return code


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    source_scan.install()  # PySide6's import hook keeps no copy of our source text (memory)
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
    app.setPalette(accessibility.readable_palette(app.style().standardPalette()))
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
    register_bundled_fonts()  # Bengali and Arabic, also where the system has no such font
    accessibility.install(app)  # every control named for screen readers when it is shown
    apply_language(app, AppSettings().language or None)
    return app  # type: ignore[return-value]


def load_classifier(model_dir: Path | str | None = None) -> tuple[Classifier | None, str | None]:
    """The classifier, or None and a message for the user when the model cannot be used."""
    try:
        return make_classifier(model_dir), None
    except ModelError as exc:
        log.error("model not loaded: %s", exc.message)
        return None, exc.message
    except Exception as exc:  # noqa: BLE001 - the app must start without a model
        log.exception("model not loaded: unexpected error")
        return None, _("The AI model could not be loaded ({error}).").format(error=type(exc).__name__)


def open_history(path: Path | str | None = None) -> tuple[HistoryStore | None, str | None]:
    try:
        return open_store(path), None
    except StorageError as exc:
        log.error("history not opened: %s", exc.message)
        return None, exc.message


def guard(history: HistoryStore | None) -> HistoryStore | None:
    from cxr_desktop.service.accounts import StaffSession
    from cxr_desktop.service.guard import GuardedHistory

    return None if history is None else GuardedHistory(StaffSession(history))


def create_main_window(files: Sequence[str] = (), *, model_dir: Path | str | None = None,
                       classifier: Classifier | None = None, history: HistoryStore | None = None,
                       settings: AppSettings | None = None,
                       show_disclaimer: bool = False, guard_decoding: bool = False,
                       decoder=None) -> MainWindow | None:
    """Build the main window (QApplication must exist). Returns None when the user declines the
    first-run disclaimer. ``guard_decoding`` (the app) decodes in worker processes under a time
    limit (``decoder`` passes one in); tests decode in-process unless they ask. A
    classifier/history passed in is used as is (tests); otherwise they are made from
    ``model_dir`` / the default locations, and the window closes the history."""
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
        history = guard(history)  # issue 15: roles and the audit trail when accounts are on
    if decoder is None and guard_decoding:  # worker processes under a time limit, started now
        from cxr_desktop.composition import make_decode_guard

        decoder = make_decode_guard()
    window = MainWindow(classifier, history, settings, model_error=model_error,
                        history_error=history_error, owns_history=owns_history, decoder=decoder)
    if model_error:
        QTimer.singleShot(0, window, lambda: dialogs.show_error(
            window, _("AI model not available"),
            _("{reason}\n\nYou can still view X-rays and the history, but no new readings can "
              "be made.").format(reason=model_error)))
    if history_error:
        QTimer.singleShot(0, window, lambda: dialogs.show_error(
            window, _("History not available"),
            _("{reason}\n\nNew readings will be shown but NOT saved.").format(reason=history_error)))
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
    window = create_main_window(files or [], show_disclaimer=True, guard_decoding=True)
    if window is None:
        return 0
    window.show()
    code = app.exec()
    log.info("exit code %d", code)
    return int(code)
