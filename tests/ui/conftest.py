"""Fixtures for the GUI tests: a private app home, the tiny model, test images, no real dialogs."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from cxr_desktop.ui.app import create_main_window
from cxr_desktop.ui.main_window import MainWindow
from cxr_desktop.ui.settings import AppSettings

RESULT_TIMEOUT_MS = 20_000


@dataclass
class DialogLog:
    """Every QMessageBox shown during a test (nothing blocks)."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)
    answer_yes: bool = True

    def titles(self, kind: str | None = None) -> list[str]:
        return [t for k, t, _ in self.calls if kind is None or k == kind]

    def texts(self, kind: str | None = None) -> list[str]:
        return [m for k, _, m in self.calls if kind is None or k == kind]


@pytest.fixture(autouse=True)
def dialogs_log(monkeypatch: pytest.MonkeyPatch) -> DialogLog:
    from PySide6.QtWidgets import QMessageBox

    record = DialogLog()

    def make(kind: str):
        def fake(parent, title, text, *args, **kwargs):
            record.calls.append((kind, title, text))
            if kind == "question":
                return QMessageBox.StandardButton.Yes if record.answer_yes else QMessageBox.StandardButton.No
            return QMessageBox.StandardButton.Ok
        return fake

    for kind in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(make(kind)))
    return record


def write_gray(path: Path, value: int | np.ndarray, size: tuple[int, int] = (256, 256)) -> Path:
    pixels = value if isinstance(value, np.ndarray) else np.full(size[::-1], value, np.uint8)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    """Small synthetic files. With the tiny model: 'light' = confident COVID-19, 'grey' =
    uncertain, 'white' = out of distribution; 'bad' is not an image."""
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(1)
    textured = np.clip(rng.normal(210, 12, (300, 260)), 0, 255).astype(np.uint8)
    files = {
        "light": write_gray(folder / "light.png", textured),
        "grey": write_gray(folder / "grey.png", 128),
        "white": write_gray(folder / "white.png", 255),
    }
    bad = folder / "broken.png"
    bad.write_bytes(b"this is not a picture at all")
    files["bad"] = bad
    return files


@pytest.fixture
def dicom_file(tmp_path: Path) -> Path:
    from tests.core.dicom_factory import make_dataset, write

    pixels = np.clip(np.random.default_rng(2).normal(2800, 150, (240, 200)), 0, 4095).astype(np.uint16)
    ds = make_dataset(pixels, "MONOCHROME2", 12, PatientID="PID-0042", PatientName="Doe^Jane")
    return write(tmp_path / "chest.dcm", ds)


@pytest.fixture
def settings(app_home: Path) -> AppSettings:
    return AppSettings()


@pytest.fixture
def make_window(qtbot, app_home: Path, tiny_model_dir: Path) -> Iterator[Callable[..., MainWindow]]:
    """Build a MainWindow like the app does (same CXR_DESKTOP_HOME each call = a 'restart')."""
    made: list[MainWindow] = []

    def factory(model_dir: Path | None = None, **kwargs) -> MainWindow:
        window = create_main_window(model_dir=model_dir or tiny_model_dir, **kwargs)
        assert window is not None
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        settle(qtbot, window.history_view)  # the first page arrives from the read lane
        return window

    yield factory
    for window in made:
        if not window.closed:
            window.close()


def wait_for_reading(qtbot, window: MainWindow, previous_id: int | None = None) -> None:
    def ready() -> bool:
        reading = window.current_reading
        return (reading is not None and reading.id != previous_id and not window.controller.busy
                and not window.history_view.model.pending)

    qtbot.waitUntil(ready, timeout=RESULT_TIMEOUT_MS)


def settle(qtbot, view) -> None:
    """Wait for the history table's background query."""
    qtbot.waitUntil(lambda: not view.model.pending and not view.model._fetching,
                    timeout=RESULT_TIMEOUT_MS)


def history_count(home: Path) -> int:
    with History(home / "history.sqlite3") as history:
        return history.count()


@pytest.fixture
def restore_logging():
    saved = {name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate,
                    logging.getLogger(name).level) for name in ("cxr_desktop", "qt")}
    hooks = (sys.excepthook, threading.excepthook)
    yield
    sys.excepthook, threading.excepthook = hooks
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.propagate, logger.level = propagate, level
