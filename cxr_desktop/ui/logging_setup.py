"""Logging for the GUI: a rotating file in the user log folder, stderr when there is one, Qt's own
messages routed into the same log, and a crash handler (``sys.excepthook``) that writes a crash
report and tells the user. The one privacy rule of ``cxr_desktop.privacy`` applies (shared with
the CLI): no file names, paths or patient fields in any log line or crash report."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path
from types import TracebackType

from cxr_desktop import APP_NAME, __version__, paths
from cxr_desktop.i18n import _
from cxr_desktop.log_files import QuietRotatingFileHandler
from cxr_desktop.privacy import ScrubbingFormatter, scrub
from cxr_desktop.private_files import write_private

LOG_FILE = "cxr-desktop.log"
FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
_MARK = "_cxr_desktop_handler"

log = logging.getLogger("cxr_desktop")


def setup_logging(level: int = logging.INFO, log_folder: Path | None = None) -> Path | None:
    """Install the handlers on the ``cxr_desktop`` and ``qt`` loggers (idempotent). Returns the
    log file path, or None when the folder cannot be written (then only stderr, if any)."""
    folder = log_folder or paths.log_dir()
    handlers: list[logging.Handler] = []
    log_path: Path | None = folder / LOG_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handlers.append(QuietRotatingFileHandler(
            log_path, maxBytes=2_000_000, backupCount=5, encoding="utf-8", delay=True))
    except OSError:
        log_path = None
    if sys.stderr is not None:  # pythonw / windowed PyInstaller builds have no stderr
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        handlers.append(console)
    formatter = ScrubbingFormatter(FORMAT)
    for name in ("cxr_desktop", "qt"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(old)
            old.close()
        logger.setLevel(level)
        logger.propagate = False
        for handler in handlers:
            setattr(handler, _MARK, True)
            handler.setFormatter(formatter)
            logger.addHandler(handler)
    log.info("%s %s starting (Python %s)", APP_NAME, __version__, sys.version.split()[0])
    return log_path


def install_qt_message_handler():
    """Route qDebug/qWarning/... into the ``qt`` logger; returns the previous handler."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(mode, context, message) -> None:  # noqa: ANN001 - Qt signature
        category = getattr(context, "category", None) or "default"
        qt_log.log(levels.get(mode, logging.WARNING), "[%s] %s", category, message)

    return qInstallMessageHandler(handler)


def write_crash_report(exc_type: type[BaseException], exc: BaseException,
                       tb: TracebackType | None) -> Path | None:
    text = scrub("".join(traceback.format_exception(exc_type, exc, tb)))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        folder = paths.log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{stamp}.log"
        write_private(path, f"{APP_NAME} {__version__} crash at {stamp}\n\n{text}")
    except OSError:
        path = None
    log.critical("uncaught exception (crash report: %s)\n%s", path.name if path else "not written", text)
    return path


def _show_crash_dialog(report: Path | None) -> None:
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return
    message = _("Something unexpected went wrong. Your saved readings are safe.\n"
                "If the program behaves strangely, close it and start it again.")
    if report:
        message = _("Something unexpected went wrong. Your saved readings are safe.\n"
                    "If the program behaves strangely, close it and start it again.\n\n"
                    "A report was saved to:\n{report}").format(report=report)
    from cxr_desktop.ui.plain import rich_text

    QMessageBox.critical(None, _("{app}: unexpected problem").format(app=APP_NAME),
                         rich_text(message))


_in_hook = threading.local()


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    report = write_crash_report(exc_type, exc, tb)
    if getattr(_in_hook, "active", False):
        return
    _in_hook.active = True
    try:
        _show_crash_dialog(report)
    except Exception:  # noqa: BLE001 - never let the crash handler crash
        log.exception("could not show the crash dialog")
    finally:
        _in_hook.active = False


def thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        write_crash_report(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthook() -> None:
    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
