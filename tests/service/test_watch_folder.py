"""The watched folder: a file still being written is waited for; each file is read once, also
after a kill (SIGKILL) in the middle and a restart; a torn journal line or a crash between
"claimed" and "done" reads nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cxr_desktop.composition import load_classifier
from cxr_desktop.core.storage.sqlite import SqliteHistory
from cxr_desktop.service.reading import ReadingService
from cxr_desktop.service.watch_folder import FolderWatcher, Journal
from tests.conftest import REPO_ROOT


def png_bytes(seed: int) -> bytes:
    import io

    pixels = np.clip(np.random.default_rng(seed).normal(150, 30, (200, 180)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def watcher_parts(tmp_path: Path, tiny_model_dir: Path):
    folder = tmp_path / "export"
    folder.mkdir()
    store = SqliteHistory(tmp_path / "history.sqlite3")
    service = ReadingService(load_classifier(tiny_model_dir), store)
    clock = Clock()

    def make() -> FolderWatcher:
        return FolderWatcher(folder, Journal(tmp_path / "journal"), service, store,
                             settle_s=3.0, clock=clock)

    yield folder, store, clock, make
    store.close()


def test_a_file_still_being_written_is_waited_for(watcher_parts) -> None:
    folder, store, clock, make = watcher_parts
    watcher = make()
    data = png_bytes(1)
    target = folder / "x1.png"
    target.write_bytes(data[: len(data) // 2])  # the X-ray unit is still writing
    assert watcher.poll() == []
    clock.now += 5
    with open(target, "ab") as handle:  # more arrives before it settles
        handle.write(data[len(data) // 2:])
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert watcher.poll() == []  # changed since the last look: wait again
    clock.now += 1
    assert watcher.poll() == []  # not settled for 3 s yet
    clock.now += 3
    (event,) = watcher.poll()
    assert event.state == "done" and store.count() == 1  # read whole: no damaged-file error
    clock.now += 10
    assert watcher.poll() == [] and make().poll() == [] and store.count() == 1


def test_a_crash_between_claimed_and_done_reads_nothing_twice(watcher_parts, tmp_path) -> None:
    folder, store, clock, make = watcher_parts
    (folder / "a.png").write_bytes(png_bytes(2))
    (folder / "b.png").write_bytes(png_bytes(3))
    watcher = make()
    watcher.poll()
    clock.now += 4
    assert [e.state for e in watcher.poll()] == ["done", "done"]
    journal = tmp_path / "journal"
    lines = journal.read_text().splitlines()
    # As if the power went while "done" of b was being written: drop it, tear the last line.
    journal.write_text("\n".join(lines[:-1]) + '\n{"path": "/x", "si')
    restarted = make()
    restarted.poll()
    clock.now += 4
    events = restarted.poll()
    assert [(Path(e.path).name, e.state) for e in events] == [("b.png", "skipped")]
    assert store.count() == 2
    (folder / "c.png").write_bytes(png_bytes(4))  # the journal still works after the torn line
    restarted.poll()
    clock.now += 4
    assert [e.state for e in restarted.poll()] == ["done"] and store.count() == 3
    assert make().journal.state(next(iter(make().journal.entries))) in ("done", "skipped")


def test_killed_in_the_middle_and_restarted_each_file_is_read_once(tmp_path: Path,
                                                                    tiny_model_dir: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    home = tmp_path / "home"
    for i in range(6):
        (folder / f"img{i}.png").write_bytes(png_bytes(10 + i))
    env = dict(os.environ, CXR_DESKTOP_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    command = [sys.executable, "-m", "cxr_desktop", "watch", str(folder), "--interval", "0.2",
               "--settle", "0.5", "--model-dir", str(tiny_model_dir)]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    try:
        saved = 0
        while saved < 2:  # let it read two of the six, then pull the plug
            line = first.stdout.readline()
            assert line, "the watcher stopped by itself"
            saved += "saved as #" in line
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    (folder / "late.png").write_bytes(png_bytes(99))  # arrives while it is down
    second = subprocess.run([*command, "--once"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 0, second.stderr
    with SqliteHistory(home / "history.sqlite3") as history:
        readings = list(history.iter_readings())
    names = sorted(Path(r.source_path).name for r in readings)
    assert names == sorted([f"img{i}.png" for i in range(6)] + ["late.png"])  # each once
    assert len({r.file_sha256 for r in readings}) == 7
    third = subprocess.run([*command, "--once"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert "saved as" not in third.stdout
