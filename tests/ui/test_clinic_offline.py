"""A clinic server that stops answering (a dead link, a hung box: connections are accepted and
then nothing comes back) never freezes the window: the result is shown at once, searching goes
on, and after the connect timeout the reading is kept on this PC and the window says it works
offline. Its event loop is never blocked for more than 100 ms (as tests/ui/test_one_path.py
checks for a writer holding the history file's lock)."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.ui.conftest import settle


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def test_a_server_that_stops_answering_never_freezes_the_window(
        qtbot, make_window, app_home, images, monkeypatch, silent_server) -> None:
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", f"postgresql://cxr_app@127.0.0.1:{silent_server}/cxr")
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    window = make_window()  # its first page waits on the silent server, in the background
    started = time.perf_counter()
    window.open_file(str(images["light"]))
    qtbot.waitUntil(lambda: window.prediction_panel.result is not None, timeout=4_000)
    result_after = time.perf_counter() - started
    window.history_view.search_edit.setText("P-00")
    window.history_view.apply_filters()
    qtbot.waitUntil(lambda: window.current_reading is not None and not window.ops.busy,
                    timeout=30_000)
    settle(qtbot, window.history_view)
    timer.stop()
    assert window.current_reading.id < 0  # kept on this PC
    window.clinic.tick()
    assert window.clinic.offline_label.text() == "Working offline: 1 reading waiting."
    with SqliteHistory(app_home / "outbox.sqlite3") as outbox:
        assert outbox.count() == 1
    gaps = np.diff(ticks) * 1e3
    assert result_after < 4.0
    assert gaps.max() < 100, f"the event loop was blocked for {gaps.max():.0f} ms"
