"""One path for every reading: the window, the window's folder batch and ``cxr-desktop predict
--save`` store the same reading for the same file; a reopened reading shows what the fresh
result showed; and the window never waits on the database."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from cxr_desktop import cli
from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.ui.conftest import settle, wait_for_reading

#: What differs between two readings of the same file by design.
PER_READING = {"id", "created_utc", "inference_ms", "uid"}  # uid: one per reading (issue 15)


def _chest_dicom(tmp_path: Path, **tags) -> Path:
    from tests.core.dicom_factory import make_dataset, write

    rng = np.random.default_rng(5)
    pixels = np.clip(rng.normal(2600, 300, (320, 280)), 0, 4095).astype(np.uint16)
    ds = make_dataset(pixels, "MONOCHROME2", 12, PatientID="PID-7", PatientName="Doe^Jane^Ann",
                      **tags)
    return write(tmp_path / "chest.dcm", ds)


def test_window_batch_and_cli_store_identical_readings(qtbot, make_window, tmp_path, app_home,
                                                       tiny_model_dir, monkeypatch, capsys):
    dicom = _chest_dicom(tmp_path)
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(dicom), "")))
    window.commands.open.trigger()
    wait_for_reading(qtbot, window)
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(dicom, folder / "chest.dcm")
    with qtbot.waitSignal(window.batch.finished, timeout=30_000):
        window.open_folder(str(folder))
    window.close()
    assert cli.main(["predict", "--save", str(folder / "chest.dcm"), "--model-dir",
                     str(tiny_model_dir)]) == 0
    capsys.readouterr()
    with SqliteHistory(app_home / "history.sqlite3") as history:
        assert history.count() == 3
        gui, batch, command = (history.get(i) for i in (1, 2, 3))
    fields = [f.name for f in dataclasses.fields(gui) if f.name not in PER_READING]

    def same_file(reading):
        return {f: getattr(reading, f) for f in fields if f != "source_path"}

    assert same_file(gui) == same_file(batch) == same_file(command)
    assert batch.source_path == command.source_path == str(folder / "chest.dcm")
    assert gui.source_path == str(dicom)
    assert gui.patient_name == "Doe, Jane Ann"  # the one rule, whoever stored it
    assert gui.heatmap_png and gui.preview_png and gui.thumbnail_png


def _panel_state(window) -> dict:
    panel = window.prediction_panel
    return {"banner": panel.banner.text(), "banner_shown": panel.banner.isVisibleTo(panel),
            "finding": panel.finding.text(), "cautions": panel.cautions.text(),
            "bars": panel.bar_percentages(), "heatmap": window.viewer.has_heatmap,
            "model": panel.details.text().splitlines()[0]}


def test_a_reopened_reading_shows_what_the_fresh_result_showed(qtbot, make_window, tmp_path,
                                                               monkeypatch, images):
    lateral = _chest_dicom(tmp_path, ViewPosition="LL")  # ruled out by its header, with a reason
    window = make_window()
    for path in (lateral, images["light"], images["grey"]):
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *a, p=path, **k: (str(p), "")))
        window.commands.open.trigger()
        wait_for_reading(qtbot, window)
        fresh, reading_id = _panel_state(window), window.current_reading.id
        window.current_reading = None
        window.open_reading(reading_id)
        qtbot.waitUntil(lambda rid=reading_id: window.current_reading is not None
                        and window.current_reading.id == rid, timeout=10_000)
        assert _panel_state(window) == fresh, path.name


def test_the_header_reason_survives_reopening(qtbot, make_window, tmp_path, monkeypatch):
    lateral = _chest_dicom(tmp_path, ViewPosition="LL")
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(lateral), "")))
    window.commands.open.trigger()
    wait_for_reading(qtbot, window)
    reading_id = window.current_reading.id
    assert "lateral view" in window.prediction_panel.finding.text()
    assert not window.viewer.has_heatmap
    window.open_reading(reading_id)
    qtbot.wait(200)
    qtbot.waitUntil(lambda: "Saved reading" in window.prediction_panel.details.text(), timeout=10_000)
    assert "lateral view" in window.prediction_panel.finding.text()
    assert not window.viewer.has_heatmap


HOLD_WRITE_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE readings SET note = note WHERE id = 1")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("COMMIT")
    print("released", flush=True)
""")


def test_a_writer_in_another_process_never_freezes_the_window(qtbot, make_window, app_home,
                                                              images):
    """Another process holds the history's write lock for 5 s. Meanwhile the window opens and
    analyses an image, searches, scrolls and reopens a stored reading; its event loop is never
    blocked for more than 100 ms, and the new reading is saved once the lock is released."""
    window = make_window()
    with SqliteHistory(app_home / "history.sqlite3") as other:
        for i in range(450):
            other.add(_a_reading(i))
    window.history_view.refresh()
    settle(qtbot, window.history_view)
    blocker = subprocess.Popen([sys.executable, "-c", HOLD_WRITE_LOCK,
                                str(app_home / "history.sqlite3"), "5"],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert blocker.stdout.readline().strip() == "locked"
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        started = time.perf_counter()
        window.open_file(str(images["light"]))
        qtbot.waitUntil(lambda: window.prediction_panel.result is not None, timeout=4_000)
        result_after = time.perf_counter() - started
        view = window.history_view
        view.search_edit.setText("P-00")
        view.apply_filters()
        settle(qtbot, view)
        assert view.model.total > 0
        view.search_edit.clear()
        view.apply_filters()
        settle(qtbot, view)
        view.table.scrollToBottom()
        qtbot.waitUntil(lambda: view.model.rowCount() > 200, timeout=4_000)
        window.open_reading(3)
        qtbot.waitUntil(lambda: window.current_reading is not None
                        and window.current_reading.id == 3, timeout=4_000)
        assert blocker.poll() is None, "the lock was released before the checks were done"
        qtbot.waitUntil(lambda: not window.ops.busy, timeout=20_000)  # the save waited, then ran
        timer.stop()
    finally:
        blocker.wait(timeout=30)
    with SqliteHistory(app_home / "history.sqlite3") as history:
        assert history.count() == 451 and history.get(451).source_path == str(images["light"])
    gaps = np.diff(ticks) * 1e3
    assert result_after < 4.0
    assert gaps.max() < 100, f"the event loop was blocked for {gaps.max():.0f} ms"


def _a_reading(i: int):
    from cxr_desktop.core.imaging import encode_png
    from cxr_desktop.core.types import Reading

    thumb = encode_png(np.full((40, 32), 90 + i % 100, np.uint8), 96)
    return Reading(id=None, created_utc=f"2026-0{1 + i % 9}-1{i % 10}T10:00:00+00:00",
                   source_path=None, file_sha256=None, file_format="PNG", width=32, height=40,
                   probabilities={"COVID-19": 0.1, "Normal": 0.8, "Viral_Pneumonia": 0.1},
                   label="Normal", uncertain=False, out_of_distribution=False, ood_score=0.2,
                   model_name="m", model_version="1", model_sha256="0" * 64,
                   patient_id=f"P-{i:04d}", patient_name=None, thumbnail_png=thumb,
                   preview_png=encode_png(np.full((40, 32), 90, np.uint8), 512))


def test_a_file_that_decodes_for_ever_never_holds_the_window(qtbot, make_window, tmp_path,
                                                              images, dialogs_log):
    """Issue 14, finding 1: the decode runs in a worker process under a time limit; a file past
    it gets a plain message, the window goes on, and closing during a decode does not wait."""
    from cxr_desktop.core.decode_guard import DecodeGuard
    from tests.core import pathological as bad

    slow = tmp_path / "slow.jpg"
    slow.write_bytes(bad.repeat_last_scan(bad.progressive_jpeg(3000), 80))
    guard = DecodeGuard(time_limit_s=0.3)
    guard.wait_ready(60)
    window = make_window(decoder=guard)
    window.open_file(str(slow))
    qtbot.waitUntil(lambda: bool(dialogs_log.calls), timeout=20_000)
    assert dialogs_log.titles() == ["Cannot open this file"]
    assert "time" in dialogs_log.texts()[0].lower() or "long" in dialogs_log.texts()[0].lower()
    window.open_file(str(images["light"]))  # the next file opens as usual
    wait_for_reading(qtbot, window)
    window.open_file(str(slow))
    qtbot.wait(100)
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 3.0
    assert guard.closed
