"""Small shared pieces of the benchmarks: figures, timing, memory, the sample files."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    """One row of the results table. ``value`` None means 'not measured' (``note`` says why)."""

    section: str
    name: str
    value: float | int | str | None
    unit: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    """What every benchmark gets: options and shared locations."""

    quick: bool = False
    workdir: Path = field(default_factory=lambda: REPO_ROOT / "bench" / "out")
    model_dir: Path | None = None
    samples_dir: Path | None = None
    jobs: int = 2
    seed: int = 20261126
    log: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True)
    details: dict[str, Any] = field(default_factory=dict)


def not_measured(section: str, name: str, why: str, unit: str = "") -> Figure:
    return Figure(section, name, None, unit, f"not measured: {why}")


def stats_ms(samples_s: list[float]) -> dict[str, float]:
    ms = sorted(s * 1e3 for s in samples_s)
    return {
        "median": statistics.median(ms),
        "p10": ms[int(0.1 * (len(ms) - 1))],
        "p90": ms[int(0.9 * (len(ms) - 1))],
        "min": ms[0],
        "n": len(ms),
    }


def time_calls(fn: Callable[[], Any], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def rss_mb(pid: int | None = None) -> float | None:
    """Resident set size of a process (Linux /proc), MB."""
    return _status_kb(pid, "VmRSS:")


def peak_rss_mb(pid: int | None = None) -> float | None:
    peak = _status_kb(pid, "VmHWM:")
    if peak is None and pid is None:  # a kernel without VmHWM: the lifetime peak instead
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return peak


def _status_kb(pid: int | None, key: str) -> float | None:
    try:
        with open(f"/proc/{pid or 'self'}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_1min_at_start": load,
    }


def sample_files(samples_dir: Path | None) -> list[Path]:
    if samples_dir is None or not samples_dir.is_dir():
        return []
    suffixes = {".jpg", ".jpeg", ".png", ".dcm"}
    return sorted(p for p in samples_dir.rglob("*") if p.suffix.lower() in suffixes)


def largest_sample(samples_dir: Path | None) -> Path | None:
    """The sample with the most pixels (full resolution), by its header only."""
    from PIL import Image

    best, best_pixels = None, -1
    for path in sample_files(samples_dir):
        with Image.open(path) as im:
            pixels = im.width * im.height
        if pixels > best_pixels:
            best, best_pixels = path, pixels
    return best
