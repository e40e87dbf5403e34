"""Many PCs on one clinic server (issue 15): writer and reader processes against a real
PostgreSQL server for a while; every save timed; afterwards every acknowledged reading must be
on the server exactly once.

    python -m bench --only clinic           # 10 writers + 5 readers for 2 minutes
    python -m bench --only clinic --quick   # 15 seconds

Each writer is a process with its own connection (a PC): it saves readings with ~100 KB of
images, sends every 10th one again (a retry after a lost answer: must not double it) and
reviews a recent reading of any writer with the version it saw (a stale one is refused, never
overwritten). Readers search (trigram text search), count and open readings. The server runs
with fsync on, as a clinic's would. ``run_load`` is also what the CI test runs, shorter.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import time
import uuid
from typing import Any

from bench.common import Context, Figure, not_measured


def _reading(writer: int, i: int, rng: random.Random):
    from cxr_desktop.core.storage import utc_now_iso
    from cxr_desktop.core.types import Reading

    return Reading(
        id=None, created_utc=utc_now_iso(), source_path=f"/xray/pc{writer}/{i}.dcm",
        file_sha256=os.urandom(32).hex(), file_format="DICOM", width=2000, height=2500,
        probabilities={"COVID-19": 0.1, "Normal": 0.8, "Viral_Pneumonia": 0.1}, label="Normal",
        uncertain=False, out_of_distribution=False, ood_score=0.4, model_name="cxr",
        model_version="1", model_sha256="ab" * 32, patient_id=f"W{writer}-{i}",
        patient_name=f"Patient {rng.choice(['Mensah', 'Boateng', 'Asante', 'Owusu'])} {i}",
        preview_png=os.urandom(90_000), heatmap_png=os.urandom(200),
        thumbnail_png=os.urandom(4_000), inference_ms=120.0, uid=str(uuid.uuid4()))


def _writer(url: str, writer: int, seconds: float, out) -> None:
    from cxr_desktop.core.errors import StaleReviewError
    from cxr_desktop.core.storage.postgresql import PostgresHistory

    rng = random.Random(writer)
    saved: list[tuple[str, int]] = []
    times: list[float] = []
    stats = {"resent": 0, "resent_doubled": 0, "reviews": 0, "stale_refused": 0, "errors": 0}
    with PostgresHistory(url) as store:
        deadline = time.monotonic() + seconds
        i = 0
        while time.monotonic() < deadline:
            i += 1
            reading = _reading(writer, i, rng)
            try:
                t0 = time.perf_counter()
                new_id = store.add(reading)
                times.append(time.perf_counter() - t0)
                saved.append((reading.uid, new_id))
                if i % 10 == 0:  # a retry after a lost answer
                    uid, first_id = saved[rng.randrange(len(saved))]
                    stats["resent"] += 1
                    again = store.add(_reading(writer, i, rng).__class__(
                        **{**reading.__dict__, "uid": uid}))
                    stats["resent_doubled"] += int(again != first_id)
                if i % 5 == 0:  # review the newest reading of the clinic, as seen now
                    newest = store.search(store_query(limit=1))
                    if newest:
                        seen = newest[0]
                        time.sleep(rng.random() * 0.01)  # someone else may review meanwhile
                        stats["reviews"] += 1
                        try:
                            store.update_review(seen.id, note=f"pc{writer}",
                                                expected_version=seen.version)
                        except StaleReviewError:
                            stats["stale_refused"] += 1
            except Exception:  # noqa: BLE001 - counted: a save that failed is not acknowledged
                stats["errors"] += 1
    out.put(("writer", writer, saved, times, stats))


def store_query(**kwargs):
    from cxr_desktop.core.storage import ReadingQuery

    return ReadingQuery(**kwargs)


def _reader(url: str, reader: int, seconds: float, out) -> None:
    from cxr_desktop.core.storage.postgresql import PostgresHistory

    rng = random.Random(1000 + reader)
    times: list[float] = []
    errors = 0
    with PostgresHistory(url) as store:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                t0 = time.perf_counter()
                page = store.search(store_query(text=rng.choice(["mensah", "w3-1", "boateng 1"]),
                                                limit=50))
                store.count(store_query(text="asante"))
                if page:
                    store.get(page[rng.randrange(len(page))].id)
                times.append(time.perf_counter() - t0)
            except Exception:  # noqa: BLE001
                errors += 1
    out.put(("reader", reader, [], times, {"errors": errors}))


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_load(url: str, writers: int = 10, readers: int = 5, seconds: float = 120.0) -> dict[str, Any]:
    """Run the load; returns counts and timings (ms) and what the server holds afterwards."""
    from cxr_desktop.core.storage.postgresql import PostgresHistory

    with PostgresHistory(url):  # the schema, before the PCs start
        pass
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, w, seconds, out)) for w in range(writers)]
    procs += [ctx.Process(target=_reader, args=(url, r, seconds, out)) for r in range(readers)]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    saved = [item for kind, _n, s, _t, _st in results if kind == "writer" for item in s]
    save_times = [t for kind, _n, _s, ts, _st in results if kind == "writer" for t in ts]
    read_times = [t for kind, _n, _s, ts, _st in results if kind == "reader" for t in ts]
    stats: dict[str, int] = {}
    for _kind, _n, _s, _t, st in results:
        for key, value in st.items():
            stats[key] = stats.get(key, 0) + int(value)
    with PostgresHistory(url) as store:
        rows = store._read(lambda cur: (cur.execute("SELECT uid::text FROM readings"),
                                        cur.fetchall())[1])
    on_server = [r[0] for r in rows]
    acknowledged = {uid for uid, _id in saved}
    return {
        "writers": writers, "readers": readers, "seconds": seconds,
        "saves": len(saved), "on_server": len(on_server),
        "lost": len(acknowledged - set(on_server)),
        "duplicated": len(on_server) - len(set(on_server)),
        "save_p50_ms": percentile(save_times, 50) * 1e3,
        "save_p99_ms": percentile(save_times, 99) * 1e3,
        "read_p50_ms": percentile(read_times, 50) * 1e3,
        "read_p99_ms": percentile(read_times, 99) * 1e3,
        "reads": len(read_times),
        "saves_per_s": len(saved) / seconds if seconds else 0.0,
        **stats,
    }


def run(ctx: Context) -> list[Figure]:
    section = "clinic server (PostgreSQL, issue 15)"
    try:
        from tests.pg_server import MISSING, find_binaries, running_server
    except ImportError as exc:
        return [not_measured(section, "load test", f"no test server helper: {exc}")]
    if find_binaries() is None:
        return [not_measured(section, "load test", MISSING)]
    seconds = 15.0 if ctx.quick else 120.0
    with running_server(fsync=True) as server:
        url = server.url(server.new_database("load"))
        ctx.log(f"[bench] clinic: 10 writers + 5 readers for {seconds:.0f} s")
        result = run_load(url, 10, 5, seconds)
        search_ms = _search_ms(url)
    ctx.details["clinic"] = result
    note = f"10 writer + 5 reader processes, {seconds:.0f} s, fsync on"
    return [
        Figure(section, "readings saved", result["saves"], "", note),
        Figure(section, "save time p50", round(result["save_p50_ms"], 1), "ms", "~95 KB of images"),
        Figure(section, "save time p99", round(result["save_p99_ms"], 1), "ms"),
        Figure(section, "lost (acknowledged, not on the server)", result["lost"]),
        Figure(section, "duplicated (same key twice)", result["duplicated"]),
        Figure(section, "re-sent readings stored twice", result["resent_doubled"], "",
               f"of {result['resent']} re-sent"),
        Figure(section, "stale reviews refused", result["stale_refused"], "",
               f"of {result['reviews']} reviews, none overwritten silently"),
        Figure(section, "search+count+open p50", round(result["read_p50_ms"], 1), "ms",
               f"{result['reads']} reader rounds"),
        Figure(section, "search+count+open p99", round(result["read_p99_ms"], 1), "ms"),
        Figure(section, f"text search at {result['on_server']:,} readings",
               round(search_ms, 1), "ms", "median of 5, pg_trgm"),
        Figure(section, "errors", result["errors"]),
    ]


def _search_ms(url: str) -> float:
    from cxr_desktop.core.storage.postgresql import PostgresHistory

    with PostgresHistory(url) as store:
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            store.search(store_query(text="mensah 1", limit=100))
            samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e3
