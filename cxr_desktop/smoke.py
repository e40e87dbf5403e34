"""GUI smoke test: ``cxr-desktop --smoke-test [FILE]``.

Starts the real window through :func:`cxr_desktop.ui.app.run_gui`, waits until it is shown on
screen (and, with a FILE, until the image and its reading are shown), stays idle a moment,
prints ONE JSON line on stdout (timings, memory, font) and quits by itself. Exit status 0 when
everything worked; 3 when a dialog (error, crash report) appeared or the time ran out.

Used by installers, CI (tests/packaging, .ci/packaging.sh) and the bench (bench/packaging.py),
on the frozen executable as well as from source. It never touches the user's data: it runs in a
private, temporary ``CXR_DESKTOP_HOME`` (history, settings, logs), removed afterwards, in which
the first-run disclaimer is already accepted.

Qt is imported inside the functions only (the command line must work without display libraries).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cxr_desktop.display import missing_display_message

SMOKE_ENV = "CXR_DESKTOP_SMOKE_TEST"
EXIT_SMOKE_FAILED = 3
POLL_MS = 5


def rss_kb(pid: int | str = "self") -> int | None:
    """Resident memory (VmRSS) of a process in KiB; None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_start_unix(pid: int | str = "self") -> float | None:
    """When a process started (Unix time, 10 ms resolution); None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat(5): starttime, counted after the ")"
        with open("/proc/stat", encoding="ascii") as handle:
            btime = next(int(line.split()[1]) for line in handle if line.startswith("btime"))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def run_smoke_test(
    files: Sequence[str] = (),
    *,
    timeout_s: float = 60.0,
    idle_ms: int = 500,
    screenshot: Path | None = None,
    emit: Callable[[str], None] | None = None,
) -> int:
    """Run the GUI smoke test; returns the exit status. See the module docstring."""
    emit = emit or _print_line
    report: dict[str, Any] = {"smoke_test": "failed", "pid": os.getpid(), "files": list(files)}
    problem = missing_display_message()  # before Qt: with no display it aborts the process
    if problem:
        report["error"] = problem
        emit(json.dumps(report, ensure_ascii=False))
        if sys.stderr is not None:
            sys.stderr.write(f"error: {problem}\n")
        return EXIT_SMOKE_FAILED
    old_home = os.environ.get("CXR_DESKTOP_HOME")
    home = tempfile.mkdtemp(prefix="cxr-desktop-smoke-")
    os.environ["CXR_DESKTOP_HOME"] = home
    code = EXIT_SMOKE_FAILED
    try:
        # ui.app imports onnxruntime before PySide6 (required on Windows): import it first.
        from cxr_desktop.ui import app as ui_app
        from cxr_desktop.ui.settings import AppSettings

        ui_app.create_application()  # run_gui reuses this QApplication
        settings = AppSettings()
        settings.accept_disclaimer()  # in the private home only
        del settings
        watcher = _Watcher(list(files), timeout_s, idle_ms, screenshot, report)
        code = int(ui_app.run_gui(list(files)) or 0)
        watcher.stop()
        if watcher.error is not None:
            report["error"] = watcher.error
            code = EXIT_SMOKE_FAILED
        elif not watcher.finished:
            report["error"] = "the window closed before the smoke test finished"
            code = EXIT_SMOKE_FAILED
        elif code == 0:
            report["smoke_test"] = "ok"
        report["exit_code"] = code
    except Exception as exc:  # noqa: BLE001 - the report must be printed whatever happened
        report["error"] = f"{type(exc).__name__}: {exc}"
        code = EXIT_SMOKE_FAILED
    finally:
        if old_home is None:
            os.environ.pop("CXR_DESKTOP_HOME", None)
        else:
            os.environ["CXR_DESKTOP_HOME"] = old_home
        shutil.rmtree(home, ignore_errors=True)
    emit(json.dumps(report, ensure_ascii=False))
    return code


def _print_line(text: str) -> None:
    if sys.stdout is not None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


class _Watcher:
    """Polls the application every few milliseconds from inside its event loop (a QTimer made
    before ``run_gui`` starts the loop), so no hook in the window code is needed."""

    def __init__(self, files: list[str], timeout_s: float, idle_ms: int,
                 screenshot: Path | None, report: dict[str, Any]) -> None:
        from PySide6.QtCore import QTimer

        self.files = files
        self.deadline = time.time() + timeout_s
        self.idle_s = idle_ms / 1000.0
        self.screenshot = screenshot
        self.report = report
        self.error: str | None = None
        self.finished = False
        self.shown_at: float | None = None
        self.ready_at: float | None = None
        self.timer = QTimer()
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    @staticmethod
    def _main_window() -> Any:
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "main_window" and widget.isVisible():
                return widget
        return None

    def poll(self) -> None:
        from PySide6.QtWidgets import QApplication

        now = time.time()
        modal = QApplication.activeModalWidget()
        if modal is not None:
            text = getattr(modal, "text", lambda: "")()
            self._fail(f"a dialog appeared: {modal.windowTitle()!r} {text!r}", modal)
            return
        if now > self.deadline:
            self._fail("timed out", None)
            return
        window = self._main_window()
        if window is None:
            return
        if self.shown_at is None:
            handle = window.windowHandle()
            if handle is None or not handle.isExposed():
                return
            self.shown_at = now
            self.report["window_shown_unix"] = now
        if self.files and self.ready_at is None:
            if not _reading_on_screen(window):
                return
            self.report["image_shown_unix"] = now
            reading = getattr(window, "current_reading", None)
            self.report["label"] = getattr(reading, "label", None)
        if self.ready_at is None:
            self.ready_at = now
        if now - self.ready_at < self.idle_s:
            return
        self._finish(window)

    def _finish(self, window: Any) -> None:
        from PySide6.QtGui import QFontInfo, QGuiApplication
        from PySide6.QtWidgets import QApplication

        self.timer.stop()
        app = QApplication.instance()
        self.report["rss_kb"] = rss_kb()
        self.report["bootloader_rss_kb"] = _bootloader_rss_kb()
        self.report["process_start_unix"] = process_start_unix()
        self.report["platform"] = QGuiApplication.platformName()
        self.report["font"] = QFontInfo(app.font()).family() if app is not None else ""
        # The window icon is an SVG: a null pixmap means the SVG icon engine/plugin is missing.
        icon = window.windowIcon()
        self.report["icon_ok"] = not icon.isNull() and not icon.pixmap(64, 64).isNull()
        self.report["window_title"] = window.windowTitle()
        if self.screenshot is not None:
            ok = window.grab().save(str(self.screenshot))
            self.report["screenshot"] = str(self.screenshot) if ok else None
        self.finished = True
        window.close()
        QApplication.quit()

    def _fail(self, message: str, modal: Any) -> None:
        from PySide6.QtWidgets import QApplication

        self.timer.stop()
        self.error = message
        if modal is not None:
            modal.close()  # ends the dialog's own event loop
        window = self._main_window()
        if window is not None:
            window.close()
        QApplication.quit()


def _bootloader_rss_kb() -> int | None:
    """A one-file PyInstaller app runs as two processes: the bootloader (which unpacked the
    bundle and waits) and this one, started from the same executable. The bootloader's RSS, or
    None when there is no such parent."""
    if not getattr(sys, "frozen", False):
        return None
    try:
        parent = os.getppid()
        if os.readlink(f"/proc/{parent}/exe") != os.readlink("/proc/self/exe"):
            return None
    except OSError:
        return None
    return rss_kb(parent)


def _reading_on_screen(window: Any) -> bool:
    """The opened image is shown and its prediction is done (the reading is on screen)."""
    viewer = getattr(window, "viewer", None)
    if viewer is None or not getattr(viewer, "has_image", False):
        return False
    controller = getattr(window, "controller", None)
    if controller is not None and getattr(controller, "busy", False):
        return False
    if getattr(window, "classifier", None) is None:
        return True  # no model: viewing only
    return getattr(window, "current_reading", None) is not None
