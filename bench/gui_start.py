"""GUI cold start from source, and the frozen build's figures (bench/packaging.py).

From source: ``python -m cxr_desktop --smoke-test`` (cxr_desktop/smoke.py) in a new process; the
time is from just before the process starts to the moment the smoke test sees the main window
exposed. On a private Xvfb when there is one (as bench/packaging.py does), else Qt's offscreen
platform. "first" is the first start (cold page cache for the Python files only if nothing ran
before), "median" over all starts. Idle RSS: the process 0.5 s after an X-ray and its reading
are shown.

Frozen: ``bench.packaging.main()`` (executable size, start-up one-file / one-folder, idle RSS)
when the packaging bench and a build exist; otherwise "not measured".
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO_ROOT, Context, Figure, largest_sample, not_measured


def _display(offscreen: bool):
    try:
        from bench.packaging import _Xvfb
    except ImportError:
        return None
    return _Xvfb(offscreen)


def _model_env(ctx: Context, work: Path) -> tuple[dict[str, str], str]:
    if ctx.model_dir is not None and (ctx.model_dir / "model_card.json").is_file():
        card = json.loads((ctx.model_dir / "model_card.json").read_text(encoding="utf-8"))
        return ({"CXR_DESKTOP_MODEL_DIR": str(ctx.model_dir)},
                f"model {card.get('name', '?')} {card.get('version', '')}".strip())
    sys.path.insert(0, str(REPO_ROOT))
    from tests.helpers import build_tiny_model

    return ({"CXR_DESKTOP_MODEL_DIR": str(build_tiny_model(work / "tiny_model"))},
            "tiny test model (no trained model)")


def _smoke(env: dict[str, str], files: list[Path]) -> tuple[float, dict]:
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "cxr_desktop", "--smoke-test", *map(str, files)], cwd=REPO_ROOT,
        capture_output=True, text=True, env=env, timeout=300,
    )
    reports = [json.loads(line) for line in proc.stdout.splitlines() if '"smoke_test"' in line]
    if proc.returncode != 0 or not reports or reports[-1].get("smoke_test") != "ok":
        raise RuntimeError(f"exit {proc.returncode}: {proc.stdout[-400:]} {proc.stderr[-400:]}")
    return reports[-1]["window_shown_unix"] - t0, reports[-1]


def run(ctx: Context) -> list[Figure]:
    section = "GUI start and footprint"
    figures: list[Figure] = []
    if not (REPO_ROOT / "cxr_desktop" / "smoke.py").is_file():
        figures.append(not_measured(section, "cold start from source", "no --smoke-test", "s"))
    else:
        figures += _from_source(ctx, section)
    figures += _frozen(ctx, section)
    return figures


def _from_source(ctx: Context, section: str) -> list[Figure]:
    runs = 2 if ctx.quick else 5
    with tempfile.TemporaryDirectory(prefix="cxr-gui-start-") as tmp:
        work = Path(tmp)
        model_env, model_note = _model_env(ctx, work)
        base = {k: v for k, v in os.environ.items()
                if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
        base.update(model_env, CXR_DESKTOP_HOME=str(work / "home"), PYTHONPATH=str(REPO_ROOT))
        display = _display(offscreen=False)
        platform = display.platform if display is not None else "offscreen"
        env = {**base, **(display.env() if display is not None else
                           {"QT_QPA_PLATFORM": "offscreen"})}
        try:
            starts = [_smoke(env, [])[0] for _ in range(runs)]
            image = largest_sample(ctx.samples_dir)
            _, report = _smoke(env, [image] if image else [])
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            return [not_measured(section, "cold start from source", f"smoke test failed: {exc}",
                                 "s")]
        finally:
            if display is not None:
                display.close()
    rss = (report.get("rss_kb") or 0) / 1024
    ctx.details["gui_source"] = {"starts_s": [round(s, 3) for s in starts], "platform": platform,
                                 "model": model_note, "report": report}
    note = f"{platform}, {model_note}; first {starts[0]:.2f} s, {runs} starts"
    figures = [Figure(section, "cold start to visible window, from source (median)",
                      round(statistics.median(starts), 2), "s", note)]
    if image is not None:
        figures.append(Figure(section, "idle RSS from source, with a full-resolution X-ray",
                              round(rss), "MB", f"{image.name}, 0.5 s after the result"))
    return figures


def _frozen(ctx: Context, section: str) -> list[Figure]:
    why = "no frozen build (run pyinstaller build.spec)"
    names = ("executable size, one-file", "cold start, one-file (median)",
             "cold start, one-folder (median)", "idle RSS, frozen app with an X-ray")
    units = ("MB", "s", "s", "MB")
    try:
        from bench import packaging
    except ImportError:
        return [not_measured(section, n, why, u) for n, u in zip(names, units)]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            r = packaging.main(["--runs", "2" if ctx.quick else "5"])
    except Exception as exc:  # noqa: BLE001 - another team's bench: report, do not stop ours
        first = " ".join(str(exc).split())[:160]
        figures = [not_measured(section, n, f"bench.packaging failed: {first}", u)
                   for n, u in zip(names, units)]
        onefile = getattr(packaging, "DIST", REPO_ROOT / "dist") / "cxr-desktop"
        if onefile.is_file():  # the size needs no start
            figures[0] = Figure(section, names[0], round(onefile.stat().st_size / 1e6, 1), "MB",
                                "dist/cxr-desktop")
        return figures
    ctx.details["packaging"] = r
    if "error" in r:
        return [not_measured(section, n, f"{why}: {r['error']}", u) for n, u in zip(names, units)]

    def fig(name: str, key: str, unit: str, note: str = "", digits: int = 2) -> Figure:
        if key not in r:
            return not_measured(section, name, "that build is missing", unit)
        return Figure(section, name, round(r[key], digits), unit, note)

    display = r.get("display", "")
    return [
        fig("executable size, one-file", "onefile_size_mb", "MB", "", 1),
        fig("one-folder build size", "onedir_size_mb", "MB", "", 1),
        fig("cold start, one-file (median)", "onefile_start_s", "s",
            f"{display}; first {r.get('onefile_start_first_s', 0):.2f} s (unpacks to /tmp)"),
        fig("cold start, one-folder (median)", "onedir_start_s", "s",
            f"{display}; first {r.get('onedir_start_first_s', 0):.2f} s"),
        fig("idle RSS, one-file app with an X-ray", "onefile_rss_total_mb", "MB",
            "app + waiting bootloader", 0),
        fig("idle RSS, one-folder app with an X-ray", "onedir_rss_total_mb", "MB", "", 0),
    ]
