"""The history at 100,000 readings: insert rate, search latency, time to show the history view.

Readings carry realistic blobs (random, so incompressible: thumbnail 3-6 KB, preview 25-45 KB,
heatmap 5-12 KB; ~48 KB per reading, ~4.8 GB at 100,000) and realistic fields: patient ids and
names (some accented), notes on one in ten, reviews on one in three, three years of dates.

- Insert rate: ``History.add`` one reading per transaction, exactly as the app saves, on an empty
  history and again at 100,000 readings.
- The 100,000 are filled with bulk INSERTs (the same rows, in big transactions; only volume).
- Search: ``search`` (one page of 100, newest first) + ``count`` for the default view, a text
  search (ASCII and accented, through the trigram index), a label filter and a date range; median
  of 5. Beside them, in the same run on the same file, the old path: the v1 query (a LIKE scan
  over patient ID, name and note, case folded in Python for non-ASCII text).
- History view: a child process builds the GUI's ``HistoryModel`` (count + first page) in a
  ``QTableView`` offscreen and paints it with its thumbnails; the time until the paint is done.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO_ROOT, Context, Figure, not_measured

LABELS = ("COVID-19", "Normal", "Viral_Pneumonia", "Not a chest X-ray")
FIRST = ("Amina", "José", "Chloé", "Nguyễn", "Ana", "Kwame", "Maria", "Ömer", "Li", "Fatima")
LAST = ("Okafor", "Müller", "García", "Tran", "Silva", "Mensah", "Rossi", "Yılmaz", "Wang", "Diallo")


def make_reading(n: int, rng: random.Random, blobs: tuple[bytes, bytes, bytes]):
    from cxr_desktop.core.storage import utc_now_iso
    from cxr_desktop.core.types import Reading

    label = rng.choices(LABELS, weights=(3, 5, 3, 1))[0]
    probs = [rng.random() + 0.01 for _ in range(3)]
    total = sum(probs)
    reviewed = rng.random() < 0.33
    day = 1_672_531_200 + rng.randrange(3 * 365 * 86400)  # 2023-2025
    from datetime import datetime, timezone

    when = utc_now_iso(datetime.fromtimestamp(day, timezone.utc))
    thumbnail, preview, heatmap = blobs
    return Reading(
        id=None, created_utc=when, source_path=f"D:/xrays/{n:07d}.dcm",
        file_sha256=f"{n:064x}", file_format=rng.choice(("DICOM", "JPEG", "PNG")),
        width=2500, height=2000,
        probabilities={k: p / total for k, p in zip(LABELS[:3], probs)}, label=label,
        uncertain=rng.random() < 0.1, out_of_distribution=label == LABELS[3],
        ood_score=rng.random() * 1.5, model_name="cxr3-resnet", model_version="1.0.0",
        model_sha256="0" * 64, patient_id=f"P{n:07d}",
        patient_name=f"{rng.choice(LAST)}^{rng.choice(FIRST)}",
        preview_png=preview, heatmap_png=heatmap, thumbnail_png=thumbnail, inference_ms=3.0,
        note="follow up in 2 weeks" if rng.random() < 0.1 else "",
        confirmed_label=label if reviewed else None, reviewed_utc=when if reviewed else None,
    )


def blob_pool(rng: random.Random, size: int = 64) -> list[tuple[bytes, bytes, bytes]]:
    return [(rng.randbytes(rng.randint(3_000, 6_000)), rng.randbytes(rng.randint(25_000, 45_000)),
             rng.randbytes(rng.randint(5_000, 12_000))) for _ in range(size)]


def insert_rate(history, start: int, count: int, rng, pool) -> float:
    readings = [make_reading(start + i, rng, pool[i % len(pool)]) for i in range(count)]
    t0 = time.perf_counter()
    for reading in readings:
        history.add(reading)
    return count / (time.perf_counter() - t0)


def bulk_fill(db: Path, target: int, rng, pool, log) -> None:
    """Grow the history to ``target`` readings with big transactions (volume only)."""
    from cxr_desktop.core.storage.sqlite.rows import reading_to_row
    from cxr_desktop.core.storage.sqlite.schema import COLUMNS, SEARCH_COLUMN

    columns = (*COLUMNS[1:], SEARCH_COLUMN)
    sql_r = (f"INSERT INTO readings ({', '.join(columns)}) "
             f"VALUES ({', '.join('?' * len(columns))})")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    have = conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
    while have < target:
        batch = min(5000, target - have)
        conn.execute("BEGIN")
        for i in range(batch):
            n = have + i
            blobs = pool[n % len(pool)]
            r = make_reading(n, rng, blobs)
            cur = conn.execute(sql_r, reading_to_row(r))
            conn.execute("INSERT INTO reading_images VALUES (?, ?, ?, ?)",
                         (cur.lastrowid, *blobs))
        conn.execute("COMMIT")
        have += batch
        if have % 20000 == 0:
            log(f"history: {have:,} readings")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def median_ms(fn, runs: int = 5) -> float:
    fn()  # warm the page cache the way a second search would find it
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def run(ctx: Context) -> list[Figure]:
    from cxr_desktop.core.storage import ReadingQuery
    from cxr_desktop.core.storage.sqlite import SqliteHistory as History

    target = 10_000 if ctx.quick else 100_000
    adds = 300 if ctx.quick else 2000
    section = f"History at {target:,} readings"
    rng = random.Random(ctx.seed)
    pool = blob_pool(rng)
    figures: list[Figure] = []
    details: dict = {}
    with tempfile.TemporaryDirectory(prefix="cxr-history-") as tmp:
        db = Path(tmp) / "history.sqlite3"
        with History(db) as history:
            empty_rate = insert_rate(history, 0, adds, rng, pool)
        t0 = time.perf_counter()
        bulk_fill(db, target - adds // 4, rng, pool, ctx.log)
        details["bulk_fill_s"] = round(time.perf_counter() - t0, 1)
        with History(db) as history:
            full_rate = insert_rate(history, target, adds // 4, rng, pool)
            count = history.count()
            queries = {
                "default view: count + newest 100": lambda: (
                    history.count(), history.search(ReadingQuery(limit=100))),
                "text search 'P00123' (count + page)": lambda: (
                    history.count(ReadingQuery(text="P00123")),
                    history.search(ReadingQuery(text="P00123"))),
                "text search 'müller' (accented)": lambda: (
                    history.count(ReadingQuery(text="müller")),
                    history.search(ReadingQuery(text="müller"))),
                "label filter (count + page)": lambda: (
                    history.count(ReadingQuery(label="COVID-19")),
                    history.search(ReadingQuery(label="COVID-19"))),
                "date range, one month (count + page)": lambda: (
                    history.count(ReadingQuery(date_from="2024-03-01", date_to="2024-03-31")),
                    history.search(ReadingQuery(date_from="2024-03-01", date_to="2024-03-31"))),
                "page 500 of the default view": lambda: history.search(
                    ReadingQuery(limit=100, offset=50_000 if not ctx.quick else 5_000)),
            }
            latencies = {name: median_ms(fn) for name, fn in queries.items()}
            old = {f"old path (v1 LIKE scan): {text!r} (count + page)": _old_search_ms(db, text)
                   for text in ("P00123", "müller")}
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        view = _history_view(db, ctx)
    figures.append(Figure(section, "insert rate, empty history (History.add)",
                          round(empty_rate, 1), "readings/s",
                          "one transaction each, synchronous=FULL, ~48 KB of images"))
    figures.append(Figure(section, f"insert rate at {count:,} readings", round(full_rate, 1),
                          "readings/s"))
    figures.append(Figure(section, "database size", round(size_mb), "MB"))
    for name, ms in latencies.items():
        target = " (target <= 20 ms)" if name.startswith("text search") else ""
        figures.append(Figure(section, name, round(ms, 1), "ms", "median of 5" + target))
    for name, ms in old.items():
        figures.append(Figure(section, name, round(ms, 1), "ms", "median of 5, same file"))
    if isinstance(view, str):
        figures.append(not_measured(section, "time to show the history view", view, "ms"))
    else:
        figures.append(Figure(section, "time to show the history view", round(view["total_ms"], 1),
                              "ms", f"HistoryModel count + first {view['rows']} rows "
                              f"{view['model_ms']:.0f} ms, table painted with thumbnails"))
    details.update({"readings": count, "db_mb": round(size_mb), "view": view,
                    "latency_ms": {k: round(v, 2) for k, v in {**latencies, **old}.items()}})
    ctx.details["history"] = details
    return figures


def _old_search_ms(db: Path, text: str) -> float:
    """The v1 text search (before the index), on the same file: count + first page."""
    conn = sqlite3.connect(db)
    conn.create_function("cxr_fold", 1, lambda v: v.casefold() if isinstance(v, str) else None,
                         deterministic=True)
    if text.isascii():
        pattern = "%" + text + "%"
        where = ("WHERE (r.patient_id LIKE ? ESCAPE '\\' OR r.patient_name LIKE ? ESCAPE '\\'"
                 " OR r.note LIKE ? ESCAPE '\\')")
        params: list = [pattern] * 3
    else:
        where = ("WHERE instr(cxr_fold(coalesce(r.patient_id, '') || char(31) || "
                 "coalesce(r.patient_name, '') || char(31) || r.note), ?) > 0")
        params = [text.casefold()]

    def query() -> None:
        conn.execute(f"SELECT COUNT(*) FROM readings r {where}", params).fetchone()
        conn.execute(f"SELECT r.id FROM readings r {where} ORDER BY r.created_utc DESC, r.id DESC"
                     " LIMIT 100", params).fetchall()

    try:
        return median_ms(query)
    finally:
        conn.close()


def _history_view(db: Path, ctx: Context) -> dict | str:
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return "PySide6 is not installed"
    if not (REPO_ROOT / "cxr_desktop" / "ui" / "history_model.py").is_file():
        return "the GUI has no history model"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run([sys.executable, "-m", "bench.history_bench", str(db)], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return f"the history view child failed: {(proc.stderr or proc.stdout)[-300:]}"
    return json.loads(lines[-1])


def view_main(db: str) -> int:
    """Child: time from nothing to a painted history table over ``db`` (offscreen Qt)."""
    import importlib

    importlib.import_module("cxr_desktop.ui")  # the PySide6 work-around, before Qt is used
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QTableView

    from cxr_desktop.core.storage.sqlite import SqliteHistory as History
    from cxr_desktop.ui.app import create_application
    from cxr_desktop.ui.history_model import HistoryModel
    from cxr_desktop.ui.history_ops import HistoryOps

    create_application()
    with History(db) as history:
        ops = HistoryOps(history)
        t0 = time.perf_counter()
        model = HistoryModel(ops)
        while model.pending:  # the count + first page arrive from the read lane
            QCoreApplication.processEvents()
            time.sleep(0.001)
        t1 = time.perf_counter()
        view = QTableView()
        view.setModel(model)
        view.resize(1200, 700)
        view.show()
        view.viewport().grab()
        t2 = time.perf_counter()
        print(json.dumps({"model_ms": (t1 - t0) * 1e3, "total_ms": (t2 - t0) * 1e3,
                          "rows": model.rowCount(), "total": model.total}), flush=True)
        view.close()
        ops.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(view_main(sys.argv[1]))
