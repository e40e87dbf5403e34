"""GUI speed: the viewer on a 4000 x 4000 16-bit DICOM and the history table at 100,000 readings.

    QT_QPA_PLATFORM=offscreen python -m bench.bench_gui [--readings 100000]

Prints milliseconds per operation (median of a few runs). Nothing here is a pass/fail test; the
numbers say whether the GUI thread stays responsive (each step well under ~100 ms).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

import cxr_desktop.ui  # noqa: E402, F401  (PySide6 work-around before Qt is used)


def timed(label: str, fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    median = statistics.median(runs)
    print(f"  {label:<48} {median:8.1f} ms   (max {max(runs):.1f})")
    return median


def bench_viewer(folder: Path) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    from PySide6.QtCore import QPoint

    from cxr_desktop.core.imaging import load_xray
    from cxr_desktop.ui.viewer import ImageViewer

    print("viewer, 4000 x 4000 16-bit DICOM")
    yy, xx = np.mgrid[0:4000, 0:4000]
    pixels = ((np.sin(xx / 40.0) + np.cos(yy / 55.0) + 2) * 12000).astype(np.uint16)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "DX"
    ds.set_pixel_data(pixels, "MONOCHROME2", 16)
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path = folder / "big.dcm"
    ds.save_as(path, enforce_file_format=True)
    image = timed("load_xray (worker thread in the app)", lambda: load_xray(path), repeat=2)
    image = load_xray(path)
    viewer = ImageViewer()
    viewer.resize(1100, 800)
    viewer.show()
    timed("set_image + fit", lambda: viewer.set_image(image.display), repeat=3)
    heat = np.random.default_rng(0).integers(0, 256, (4000, 4000), dtype=np.uint8)
    timed("set_heatmap (4000 x 4000 map)", lambda: viewer.set_heatmap(heat), repeat=3)
    timed("paint at fit (grab of the viewport)", lambda: viewer.viewport().grab(), repeat=5)
    levels = iter(range(10, 10_000))
    timed("window/level step at fit", lambda: viewer.set_window_level(next(levels) % 200, 120))
    viewer.actual_size()
    timed("window/level step at 100% (full resolution)",
          lambda: viewer.set_window_level(next(levels) % 200, 120), repeat=3)
    timed("right-drag preview step at 100% (half resolution)",
          lambda: viewer._refresh_pixmap(interactive=True), repeat=5)

    def pan() -> None:
        bar = viewer.horizontalScrollBar()
        bar.setValue((bar.value() + 40) % max(1, bar.maximum()))
        viewer.viewport().grab()

    timed("pan step + paint at 100%", pan)
    viewer.fit()
    timed("wheel-zoom step + paint", lambda: (viewer.zoom_by(1.1, QPoint(300, 300)),
                                            viewer.viewport().grab()))
    viewer.close()


def fill_history(path: Path, readings: int) -> None:
    from cxr_desktop.core.imaging import encode_png
    from cxr_desktop.core.storage.sqlite import SqliteHistory as History
    from cxr_desktop.core.types import OOD_LABEL, Reading

    labels = ["COVID-19", "Normal", "Viral_Pneumonia"]
    thumb = encode_png(np.random.default_rng(1).integers(0, 256, (96, 80), dtype=np.uint8), 96)
    with History(path) as history:
        for i in range(64):
            label = labels[i % 3]
            history.add(Reading(
                id=None, created_utc=f"2026-0{1 + i % 9}-1{i % 10}T10:{i % 60:02d}:00+00:00",
                source_path=None, file_sha256=None, file_format="PNG", width=2000, height=2000,
                probabilities={k: (0.8 if k == label else 0.1) for k in labels},
                label=OOD_LABEL if i % 17 == 0 else label, uncertain=i % 5 == 0,
                out_of_distribution=i % 17 == 0, ood_score=0.3, model_name="bench",
                model_version="1", model_sha256="0" * 64, patient_id=f"P{i:05d}",
                patient_name=f"Name {i}", thumbnail_png=thumb, note="follow up" if i % 7 == 0 else ""))
    # Duplicate rows with SQL (the bench only needs volume, not realism).
    conn = sqlite3.connect(path)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(readings)") if r[1] != "id"]
    cols = ", ".join(columns)
    while conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0] < readings:
        have = conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
        start = conn.execute("SELECT MAX(id) FROM readings").fetchone()[0]
        conn.execute(f"INSERT INTO readings ({cols}) SELECT {cols} FROM readings ORDER BY id "
                     f"LIMIT {min(have, readings - have)}")
        conn.execute("INSERT INTO reading_images (reading_id, thumbnail_png) "
                     "SELECT id, ? FROM readings WHERE id > ?", (thumb, start))
        conn.commit()
    conn.execute("UPDATE readings SET patient_id = 'P' || printf('%06d', id)")
    conn.commit()
    conn.close()


def bench_history(folder: Path, readings: int) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableView

    from cxr_desktop.core.storage.sqlite import SqliteHistory as History
    from cxr_desktop.core.types import OOD_LABEL
    from cxr_desktop.ui.history_model import COL_PID, COL_THUMB, HistoryModel

    path = folder / "history.sqlite3"
    t0 = time.perf_counter()
    fill_history(path, readings)
    print(f"history, {readings:,} readings (filled in {time.perf_counter() - t0:.1f} s)")
    with History(path) as history:
        model = HistoryModel(history)
        timed("open: count + first page", model.refresh)
        timed("fetchMore (one page of 200)", model.fetchMore)
        timed("thumbnails of one page (decode + scale)", lambda: [
            model.data(model.index(r, COL_THUMB), Qt.ItemDataRole.DecorationRole)
            for r in range(model.rowCount())])
        timed("search text 'P0123'", lambda: model.set_filters(text="P0123"))
        timed("search text 'follow'", lambda: model.set_filters(text="follow"))
        timed("filter label", lambda: model.set_filters(label=OOD_LABEL))
        timed("filter not reviewed + date range", lambda: model.set_filters(
            reviewed=False, date_from="2026-02-01", date_to="2026-05-31"))
        model.set_filters()
        timed("sort by patient ID", lambda: (model.sort(COL_PID, Qt.SortOrder.AscendingOrder),
                                              model.sort(COL_PID, Qt.SortOrder.DescendingOrder)))
        view = QTableView()
        view.setModel(model)
        view.resize(1200, 500)
        view.show()
        timed("table paint (grab)", lambda: view.viewport().grab())
        view.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=100_000)
    args = parser.parse_args()
    from cxr_desktop.ui.app import create_application

    create_application()
    with tempfile.TemporaryDirectory(prefix="cxr-bench-") as tmp:
        bench_viewer(Path(tmp))
        bench_history(Path(tmp), args.readings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
