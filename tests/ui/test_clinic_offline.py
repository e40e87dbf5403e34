"""A clinic server that stops answering (a dead link, a hung box: connections are accepted and
then nothing comes back) never freezes the window: the result is shown at once, searching goes
on, and after the connect timeout the reading is kept on this PC and the window says it works
offline. Its event loop is never blocked for more than 100 ms (as tests/ui/test_one_path.py
checks for a writer holding the history file's lock).

Issue 12: a reading needs the site calibration in use. This PC reached the server before, so
it knows the clinic's (here: none) and readings use that; a PC that never reached it makes no
reading and says why, and never freezes either."""

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


def known_before(app_home, url: str) -> None:
    """What this PC kept when it last reached the server: no site calibration in use."""
    from cxr_desktop.core.storage.postgresql.address import parse_address
    from cxr_desktop.private_files import make_private_dir
    from cxr_desktop.service.site_profile_cache import SiteProfileCache

    make_private_dir(app_home)
    SiteProfileCache(app_home / "outbox-site-profile.json",
                     parse_address(url).location()).remember(None)


def test_a_server_that_stops_answering_never_freezes_the_window(
        qtbot, make_window, app_home, images, monkeypatch, silent_server) -> None:
    url = f"postgresql://cxr_app@127.0.0.1:{silent_server}/cxr"
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    known_before(app_home, url)
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


def test_a_pc_that_never_reached_the_server_makes_no_reading_and_says_why(
        qtbot, make_window, app_home, images, monkeypatch, silent_server, dialogs_log) -> None:
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", f"postgresql://cxr_app@127.0.0.1:{silent_server}/cxr")
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    window = make_window()
    window.open_file(str(images["light"]))
    qtbot.waitUntil(lambda: any("has not yet learned from it which site calibration" in t
                                for t in dialogs_log.texts()), timeout=30_000)
    qtbot.waitUntil(lambda: not window.controller.busy and not window.ops.busy, timeout=30_000)
    timer.stop()
    assert window.prediction_panel.result is None and window.current_reading is None
    with SqliteHistory(app_home / "outbox.sqlite3") as outbox:
        assert outbox.count() == 0  # nothing made, nothing kept
    gaps = np.diff(ticks) * 1e3
    assert gaps.max() < 100, f"the event loop was blocked for {gaps.max():.0f} ms"
