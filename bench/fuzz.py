"""Fuzz ``load_xray`` with mutated PNG, JPEG, TIFF, BMP and DICOM files, in sandboxed workers.

Every case is written to a file and opened with ``load_xray`` in a worker process that has an
address-space limit (RLIMIT_AS), and the parent gives it a time limit, so that a segfault (the
worker dies), a hang (the time limit passes) and a memory blow-up are seen and counted rather
than taking the run down. Outcomes:

  ok      decoded; the result is checked (2-D uint8 display, same shape as pixels, >= 16 px)
  typed   a CxrError with a message: the expected way to refuse a bad file
  error   any other exception, or an ok result that breaks the XrayImage contract   (defect)
  memory  MemoryError, a decoder running out of memory under the cap (even when the error
          came back typed), or a peak RSS above the per-file budget (1 GB)              (defect)
  crash   the worker died (signal or exit)                                           (defect)
  hang    no answer within the per-file time limit                                   (defect)

Cases are deterministic: case ``i`` mutates seed ``i % len(seeds)`` with ``random.Random(
f"{seed}:{i}")``, so ``python -m bench --only fuzz --fuzz-case I`` replays one. Defects are
minimised (chunks removed while the outcome stays the same) and written to ``bench/out/fuzz/``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from bench.common import Context, Figure
from bench.fuzz_families import family_case
from bench.fuzz_mutate import mutate
from bench.fuzz_seeds import build_seeds
from bench.fuzz_worker import FAST_PATH_MIN_SIDE, SELF_TEST, worker_main  # noqa: F401 - SELF_TEST for tests

OUTCOMES = ("ok", "typed", "error", "memory", "crash", "hang")
DEFECTS = ("error", "memory", "crash", "hang")
#: The per-file budget: the app's decode guard stops a decode after this long, so a case
#: slower than it is a hang the user would have seen.
DEFAULT_TIMEOUT_S = 8.0
#: Every FAMILY_EVERY-th case comes from a structure-aware family (bench/fuzz_families.py).
FAMILY_EVERY = 4
DEFAULT_MEMORY_MB = 2560
#: Peak RSS above which one file counts as a memory blow-up. Every image within MAX_PIXELS
#: (50 MP) stays below it; the seeds are ~256 px, so only a decoder trusting a lie gets there.
DEFAULT_BUDGET_MB = 1024
START_TIMEOUT_S = 120.0
#: A worker still holding this much after a case is replaced (leaks must not poison later cases).
RESTART_ABOVE_MB = 512


@dataclass
class CaseResult:
    index: int
    seed: str
    ops: list[str]
    outcome: str
    detail: str = ""
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    data: bytes = field(default=b"", repr=False)


@dataclass
class FuzzReport:
    cases: int
    counts: Counter
    by_seed: dict[str, Counter]
    by_family: dict[str, dict]
    defects: list[CaseResult]
    seconds: float
    slowest_s: float
    peak_rss_mb: float
    timeout_s: float
    memory_mb: int
    budget_mb: int
    typed_errors: Counter

    @property
    def defect_count(self) -> int:
        return sum(self.counts[o] for o in DEFECTS)

    def summary(self) -> dict:
        return {
            "cases": self.cases,
            "counts": {o: self.counts[o] for o in OUTCOMES},
            "by_seed": {k: dict(v) for k, v in sorted(self.by_seed.items())},
            "by_family": {k: v for k, v in sorted(self.by_family.items())},
            "typed_errors": dict(self.typed_errors.most_common()),
            "defects": [
                {"index": d.index, "seed": d.seed, "ops": d.ops, "outcome": d.outcome,
                 "detail": d.detail}
                for d in self.defects
            ],
            "seconds": round(self.seconds, 2),
            "slowest_case_s": round(self.slowest_s, 3),
            "peak_worker_rss_mb": round(self.peak_rss_mb, 1),
            "per_file_time_limit_s": self.timeout_s,
            "worker_address_space_limit_mb": self.memory_mb,
            "per_file_rss_budget_mb": self.budget_mb,
        }


# -- the parent side --------------------------------------------------------------------------


class _Worker:
    def __init__(self, ctx, memory_bytes: int, budget_mb: int, folder: str, quiet: bool) -> None:
        self.ctx, self.memory_bytes, self.folder = ctx, memory_bytes, folder
        self.budget_mb, self.quiet = budget_mb, quiet
        self.case: tuple[int, bytes] | None = None
        self.deadline = 0.0
        self.process = None
        self.conn: Connection | None = None
        self.start()

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.process = self.ctx.Process(
            target=worker_main,
            args=(child, self.memory_bytes, self.budget_mb, self.folder, self.quiet),
            daemon=True,
        )
        self.process.start()
        child.close()
        self.conn = parent
        if not parent.poll(START_TIMEOUT_S):
            raise RuntimeError("fuzz worker did not start")
        parent.recv()

    def submit(self, index: int, data: bytes, timeout_s: float) -> None:
        self.case = (index, data)
        self.deadline = time.monotonic() + timeout_s
        self.conn.send((index, data))

    def kill(self) -> int | None:
        self.process.kill()
        self.process.join()
        code = self.process.exitcode
        self.conn.close()
        return code

    def died(self) -> int | None:
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        return self.process.exitcode

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.process.join(5)
        except (OSError, EOFError):
            pass
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _exit_text(code: int | None) -> str:
    import signal

    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class Sandbox:
    """A pool of sandboxed load_xray workers. ``run(cases)`` -> CaseResult per case, in order."""

    def __init__(self, jobs: int = 2, timeout_s: float = DEFAULT_TIMEOUT_S,
                 memory_mb: int = DEFAULT_MEMORY_MB, budget_mb: int = DEFAULT_BUDGET_MB,
                 quiet: bool = True) -> None:
        self.timeout_s, self.memory_mb, self.budget_mb = timeout_s, memory_mb, budget_mb
        shm = Path("/dev/shm")
        self._tmp = tempfile.TemporaryDirectory(prefix="cxr-fuzz-", dir=shm if shm.is_dir() else None)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        ctx = mp.get_context("spawn")
        self.workers = [
            _Worker(ctx, memory_mb << 20, budget_mb, self._tmp.name, quiet)
            for _ in range(max(1, jobs))
        ]

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, cases: list[tuple[int, bytes]], on_result=None) -> dict[int, tuple]:
        """index -> (outcome, detail, seconds, peak_rss_mb)."""
        pending = list(reversed(cases))
        results: dict[int, tuple] = {}
        idle = list(self.workers)
        busy: dict[Connection, _Worker] = {}
        while pending or busy:
            while idle and pending:
                worker = idle.pop()
                index, data = pending.pop()
                worker.submit(index, data, self.timeout_s)
                busy[worker.conn] = worker
            now = time.monotonic()
            timeout = max(0.0, min(w.deadline for w in busy.values()) - now)
            for conn in wait(list(busy), timeout=timeout):
                worker = busy.pop(conn)
                index = worker.case[0]
                try:
                    _, outcome, detail, seconds, rss, now_mb = conn.recv()
                except (EOFError, OSError):
                    code = worker.died()
                    outcome, detail, seconds, rss = "crash", _exit_text(code), 0.0, None
                    worker.start()
                else:
                    if outcome == "memory" or (now_mb or 0) > RESTART_ABOVE_MB:
                        worker.stop()  # a decoder may have leaked: later cases get a fresh one
                        worker.start()
                results[index] = (outcome, detail, seconds, rss)
                if on_result:
                    on_result(index, results[index])
                idle.append(worker)
            now = time.monotonic()
            for conn, worker in list(busy.items()):
                if now >= worker.deadline:
                    del busy[conn]
                    worker.kill()
                    index = worker.case[0]
                    results[index] = ("hang", f"no answer after {self.timeout_s:.0f} s",
                                      self.timeout_s, None)
                    if on_result:
                        on_result(index, results[index])
                    worker.start()
                    idle.append(worker)
        return results


def make_case(seeds: dict[str, bytes], index: int,
              master_seed: int) -> tuple[str, str, bytes, list[str]]:
    """(family, seed name, bytes, what was done) of case ``index``: every FAMILY_EVERY-th one
    from a structure-aware family, the others random mutations ("mutations")."""
    rng = random.Random(f"{master_seed}:{index}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom complains about the values we write
        if index % FAMILY_EVERY == FAMILY_EVERY - 1:
            return family_case(seeds, index // FAMILY_EVERY, rng)
        names = sorted(seeds)
        name = names[index % len(names)]
        data, ops = mutate(seeds[name], name, rng)
    return "mutations", name, data, ops


def run_fuzz(cases: int, *, samples_dir: Path | None, master_seed: int = 20261126,
             jobs: int = 2, timeout_s: float = DEFAULT_TIMEOUT_S,
             memory_mb: int = DEFAULT_MEMORY_MB, budget_mb: int = DEFAULT_BUDGET_MB,
             out_dir: Path | None = None, minimise_s: float = 60.0,
             only_case: int | None = None, log=None) -> FuzzReport:
    seeds = build_seeds(samples_dir)
    indices = [only_case] if only_case is not None else list(range(cases))
    made = {i: make_case(seeds, i, master_seed) for i in indices}
    counts: Counter = Counter()
    by_seed: dict[str, Counter] = {}
    by_family: dict[str, dict] = {}
    typed: Counter = Counter()
    slowest, peak = 0.0, 0.0
    done = [0]
    start = time.perf_counter()

    live: Counter = Counter()

    def progress(index: int, result: tuple) -> None:
        done[0] += 1
        live[result[0]] += 1
        if log and done[0] % 1000 == 0:
            log(f"fuzz: {done[0]}/{len(indices)} cases, {dict(live)}")

    with Sandbox(jobs, timeout_s, memory_mb, budget_mb) as sandbox:
        results = sandbox.run([(i, made[i][2]) for i in indices], on_result=progress)
        defects: list[CaseResult] = []
        for i in indices:
            family, name, data, ops = made[i]
            outcome, detail, seconds, rss = results[i]
            counts[outcome] += 1
            by_seed.setdefault(name, Counter())[outcome] += 1
            entry = by_family.setdefault(family, {"cases": 0, "outcomes": Counter(),
                                                  "slowest_s": 0.0, "slowest_case": None})
            entry["cases"] += 1
            entry["outcomes"][outcome] += 1
            if seconds >= entry["slowest_s"]:
                entry["slowest_s"] = round(seconds, 4)
                entry["slowest_case"] = {"index": i, "seed": name, "ops": ops, "outcome": outcome}
            if outcome == "typed":
                typed[detail] += 1
            slowest = max(slowest, seconds if outcome != "hang" else 0.0)
            peak = max(peak, rss or 0.0)
            if outcome in DEFECTS:
                defects.append(CaseResult(i, name, ops, outcome, detail, seconds, rss, data))
        if minimise_s > 0:
            deadline = time.monotonic() + minimise_s
            for defect in defects[:10]:
                defect.data = minimise(defect.data, defect.outcome, sandbox, deadline)
    for entry in by_family.values():
        entry["outcomes"] = dict(entry["outcomes"])
    report = FuzzReport(len(indices), counts, by_seed, by_family, defects,
                        time.perf_counter() - start,
                        slowest, peak, timeout_s, memory_mb, budget_mb, typed)
    if defects and out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for defect in defects:
            (out_dir / f"case-{defect.index}-{defect.seed}-{defect.outcome}.bin").write_bytes(defect.data)
    return report


def minimise(data: bytes, outcome: str, sandbox: Sandbox, deadline: float,
             budget: int = 200) -> bytes:
    """Remove chunks of ``data`` while ``load_xray`` still gives ``outcome`` (simple ddmin),
    within ``budget`` runs and until ``deadline`` (time.monotonic)."""
    tries = 0
    chunk = max(1, len(data) // 2)
    while chunk >= 1 and tries < budget and time.monotonic() < deadline:
        pos, shrunk = 0, False
        while pos < len(data) and tries < budget and time.monotonic() < deadline:
            candidate = data[:pos] + data[pos + chunk :]
            tries += 1
            if candidate and sandbox.run([(0, candidate)])[0][0] == outcome:
                data, shrunk = candidate, True
            else:
                pos += chunk
        if not shrunk:
            chunk //= 2
    return data


# -- bench entry ------------------------------------------------------------------------------


def run(ctx: Context) -> list[Figure]:
    cases = ctx.details.get("fuzz_cases") or (600 if ctx.quick else 10_000)
    only = ctx.details.get("fuzz_case")
    report = run_fuzz(
        cases, samples_dir=ctx.samples_dir, master_seed=ctx.seed, jobs=ctx.jobs,
        out_dir=ctx.workdir / "fuzz", only_case=only, log=ctx.log,
    )
    summary = report.summary()
    ctx.details["fuzz"] = summary
    for defect in report.defects[:10]:
        ctx.log(f"fuzz defect: case {defect.index} {defect.seed} {defect.ops}: "
                f"{defect.outcome} {defect.detail.splitlines()[0] if defect.detail else ''}")
    c = report.counts
    section = "Fuzzing load_xray"
    seeds = len(summary["by_seed"])
    return [
        Figure(section, "cases (mutated files)", report.cases, "",
               f"{seeds} seed files: JPEG, PNG, TIFF, BMP, GIF, WebP, DICOM raw/deflated/RLE/J2K/"
               f"JPEG; 1 in {FAMILY_EVERY} from a structure-aware family; odd cases through the "
               f"fast path (min_side={FAST_PATH_MIN_SIDE})"),
        Figure(section, "decoded / typed error", f"{c['ok']} / {c['typed']}"),
        Figure(section, "untyped exceptions", c["error"]),
        Figure(section, "crashes", c["crash"]),
        Figure(section, "hangs", c["hang"], "", f"per-file limit {report.timeout_s:.0f} s"),
        Figure(section, "memory blow-ups", c["memory"], "",
               f"RSS budget {report.budget_mb} MB/file, address space cap {report.memory_mb} MB"),
        Figure(section, "slowest case", round(report.slowest_s * 1e3, 1), "ms"),
        Figure(section, "peak worker RSS", round(report.peak_rss_mb, 1), "MB"),
        Figure(section, "run time", round(report.seconds, 1), "s", f"{ctx.jobs} workers"),
    ] + _family_figures(report)


def _family_figures(report: FuzzReport) -> list[Figure]:
    """The slowest case of each family, and its outcomes (issue 14, deliverable 9)."""
    section = "Fuzzing load_xray: slowest case per family"
    figures = []
    for family, entry in sorted(report.by_family.items()):
        worst = entry["slowest_case"] or {}
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(entry["outcomes"].items()))
        what = "; ".join(worst.get("ops", []))[:90]
        figures.append(Figure(section, family, round(entry["slowest_s"] * 1e3, 1), "ms",
                              f"{entry['cases']} cases ({outcomes}); slowest: case "
                              f"{worst.get('index')} {worst.get('seed')} {what}"))
    return figures
