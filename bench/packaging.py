"""Packaging bench: size of the frozen app, start-up time to a visible window, idle memory.

    python -m bench.packaging [--runs 5] [--offscreen] [--json FILE]

Measures the builds that exist (dist/cxr-desktop one-file, dist/cxr-desktop-onedir one-folder,
/opt/cxr-desktop when the .deb is installed) and prints one table against the targets:

  one-file executable size                          <= 80 MB (10^6 bytes)
  start to visible window, one-file                 <= 2.5 s
  start to visible window, installed (one-folder)   <= 1 s
  idle memory with an image open (RSS)              <= 150 MB

"Start to visible window" is from just before the process is started (this bench) to the moment
the app's smoke test (``--smoke-test``, see cxr_desktop/smoke.py) sees the main window exposed,
on a real X server (a private Xvfb) unless ``--offscreen``. Each start is a new process; a
one-file start includes unpacking the bundle to /tmp, as on a clinic PC. The page cache is warm
after the first run: "first" is that first run, "median" over all runs. Memory is VmRSS of the
app process 0.5 s after the X-ray and its reading are shown; a one-file app also has the
bootloader process waiting (its RSS is added to "total").

``main()`` returns the figures as a dict (for the main bench); the machine is shared and noisy
(another process may be training): compare medians, and re-run before trusting a regression.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DIST = REPO_ROOT / "dist"
INSTALLED = Path("/opt/cxr-desktop/cxr-desktop")

TARGETS = {
    "onefile_size_mb": 80.0,
    "onefile_start_s": 2.5,
    "installed_start_s": 1.0,
    "idle_rss_mb": 150.0,
}


def _samples_dir() -> Path:
    sys.path.insert(0, str(REPO_ROOT))
    from cxr_desktop.paths import shared_data_dir

    return shared_data_dir() / "samples"


def _tiny_model_env(workdir: Path) -> dict[str, str]:
    """The bundled model when the repository has one (release builds), else the tiny test model."""
    if (REPO_ROOT / "assets" / "model" / "model_card.json").is_file():
        return {}
    sys.path.insert(0, str(REPO_ROOT))
    from tests.helpers import build_tiny_model

    return {"CXR_DESKTOP_MODEL_DIR": str(build_tiny_model(workdir / "tiny_model"))}


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


class _Xvfb:
    """A private X server for the runs (no TCP), or nothing when --offscreen / no Xvfb."""

    def __init__(self, offscreen: bool) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.display: str | None = None
        if offscreen or shutil.which("Xvfb") is None:
            return
        for number in range(99, 140):
            if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
                continue
            proc = subprocess.Popen(
                ["Xvfb", f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for _ in range(100):
                if Path(f"/tmp/.X11-unix/X{number}").exists():
                    self.proc, self.display = proc, f":{number}"
                    return
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
            proc.kill()
            proc.wait()

    def env(self) -> dict[str, str]:
        if self.display is None:
            return {"QT_QPA_PLATFORM": "offscreen"}
        return {"QT_QPA_PLATFORM": "xcb", "DISPLAY": self.display}

    @property
    def platform(self) -> str:
        return "xcb (Xvfb)" if self.display else "offscreen"

    def close(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _smoke(exe: Path, env: dict[str, str], files: list[Path]) -> tuple[float, dict[str, Any]]:
    """One start: (seconds from before exec to the window shown, the smoke-test report)."""
    t0 = time.time()
    proc = subprocess.run(
        [str(exe), "--smoke-test", *map(str, files)], capture_output=True, text=True,
        env=env, timeout=180,
    )  # fmt: skip
    reports = [json.loads(line) for line in proc.stdout.splitlines() if '"smoke_test"' in line]
    if proc.returncode != 0 or not reports or reports[-1].get("smoke_test") != "ok":
        raise RuntimeError(f"smoke test failed ({exe}, exit {proc.returncode}): "
                           f"{proc.stdout[-800:]} {proc.stderr[-800:]}")
    report = reports[-1]
    return report["window_shown_unix"] - t0, report


def _predict_time(exe: Path, env: dict[str, str], image: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([str(exe), "predict", "--json", str(image)], capture_output=True,
                          text=True, env=env, timeout=180)
    if proc.returncode != 0:
        raise RuntimeError(f"predict failed ({exe}): {proc.stderr[-800:]}")
    return time.perf_counter() - t0


def measure(runs: int = 5, offscreen: bool = False, log=print) -> dict[str, Any]:
    builds = {
        "onefile": DIST / "cxr-desktop",
        "onedir": DIST / "cxr-desktop-onedir" / "cxr-desktop",
        "installed": INSTALLED,
    }
    builds = {k: v for k, v in builds.items() if v.is_file() and os.access(v, os.X_OK)}
    results: dict[str, Any] = {"targets": TARGETS, "builds": {k: str(v) for k, v in builds.items()}}
    if not builds:
        results["error"] = "no build: run packaging/build.sh (and packaging/deb/build_deb.sh)"
        return results
    if "onefile" in builds:
        results["onefile_size_mb"] = builds["onefile"].stat().st_size / 1e6
    if "onedir" in builds:
        results["onedir_size_mb"] = _dir_size(builds["onedir"].parent) / 1e6
    debs = sorted(DIST.glob("cxr-desktop_*.deb"))
    if debs:
        results["deb_size_mb"] = debs[-1].stat().st_size / 1e6
        results["deb"] = debs[-1].name

    image = sorted((_samples_dir() / "Normal").iterdir())[0]
    with tempfile.TemporaryDirectory(prefix="cxr-bench-packaging-") as tmp:
        work = Path(tmp)
        base = {k: v for k, v in os.environ.items()
                if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "PYTHONPATH")}
        base.update(_tiny_model_env(work))
        base["CXR_DESKTOP_HOME"] = str(work / "home")
        xvfb = _Xvfb(offscreen)
        results["display"] = xvfb.platform
        try:
            env = {**base, **xvfb.env()}
            for kind, exe in builds.items():
                log(f"[bench.packaging] {kind}: {runs} starts to a visible window ({xvfb.platform})")
                starts = [_smoke(exe, env, [])[0] for _ in range(runs)]
                results[f"{kind}_start_first_s"] = starts[0]
                results[f"{kind}_start_s"] = statistics.median(starts)
                results[f"{kind}_start_min_s"] = min(starts)
                _, report = _smoke(exe, env, [image])
                app_mb = (report.get("rss_kb") or 0) / 1024
                boot_mb = (report.get("bootloader_rss_kb") or 0) / 1024
                results[f"{kind}_rss_mb"] = app_mb
                results[f"{kind}_rss_total_mb"] = app_mb + boot_mb
                results[f"{kind}_image_shown_s"] = report["image_shown_unix"] - report["window_shown_unix"]
                results[f"{kind}_predict_process_s"] = statistics.median(
                    [_predict_time(exe, base, image) for _ in range(max(1, runs // 2))])
        finally:
            xvfb.close()
    installed_like = "installed" if "installed" in builds else "onedir"
    results["installed_start_source"] = installed_like
    results["checks"] = _checks(results, installed_like)
    return results


def _checks(r: dict[str, Any], installed_like: str) -> dict[str, bool | None]:
    def at_most(key: str, target: float) -> bool | None:
        return None if key not in r else r[key] <= target

    rss_keys = [k for k in r if k.endswith("_rss_total_mb")]
    return {
        "onefile_size_mb": at_most("onefile_size_mb", TARGETS["onefile_size_mb"]),
        "onefile_start_s": at_most("onefile_start_s", TARGETS["onefile_start_s"]),
        "installed_start_s": at_most(f"{installed_like}_start_s", TARGETS["installed_start_s"]),
        "idle_rss_mb": None if not rss_keys else all(
            r[k] <= TARGETS["idle_rss_mb"] for k in rss_keys),
    }


def format_table(r: dict[str, Any]) -> str:
    def fmt(key: str, unit: str, digits: int = 2) -> str:
        return "-" if key not in r else f"{r[key]:.{digits}f} {unit}"

    def verdict(name: str) -> str:
        ok = r.get("checks", {}).get(name)
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    inst = r.get("installed_start_source", "onedir")
    rows = [
        ("one-file executable size", fmt("onefile_size_mb", "MB"), "<= 80 MB", verdict("onefile_size_mb")),
        ("one-folder build size", fmt("onedir_size_mb", "MB"), "", ""),
        (".deb size", fmt("deb_size_mb", "MB"), "", ""),
        ("start to window, one-file (median)", fmt("onefile_start_s", "s"), "<= 2.5 s", verdict("onefile_start_s")),
        ("  first run / fastest", f"{fmt('onefile_start_first_s', 's')} / {fmt('onefile_start_min_s', 's')}", "", ""),
        (f"start to window, installed ({inst}, median)", fmt(f"{inst}_start_s", "s"), "<= 1 s", verdict("installed_start_s")),
        ("  first run / fastest", f"{fmt(f'{inst}_start_first_s', 's')} / {fmt(f'{inst}_start_min_s', 's')}", "", ""),
    ]
    for kind in ("onefile", "onedir", "installed"):
        if f"{kind}_rss_mb" in r:
            rows.append((f"idle RSS with an image, {kind} (app + bootloader)",
                         f"{r[f'{kind}_rss_mb']:.0f} + {r[f'{kind}_rss_total_mb'] - r[f'{kind}_rss_mb']:.0f}"
                         f" = {r[f'{kind}_rss_total_mb']:.0f} MB", "<= 150 MB", verdict("idle_rss_mb")))
    for kind in ("onefile", "onedir", "installed"):
        if f"{kind}_predict_process_s" in r:
            rows.append((f"`predict` one image, whole process, {kind}",
                         fmt(f"{kind}_predict_process_s", "s"), "", ""))
    width = max(len(row[0]) for row in rows)
    lines = [f"Packaging bench (display: {r.get('display', '-')})", ""]
    lines += [f"{a:<{width}}  {b:>22}  {c:>10}  {d}" for a, b, c, d in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.packaging", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="starts per build (default 5)")
    parser.add_argument("--offscreen", action="store_true", help="no Xvfb: Qt's offscreen platform")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    results = measure(runs=max(1, args.runs), offscreen=args.offscreen,
                      log=lambda text: print(text, file=sys.stderr, flush=True))
    if "error" in results:
        print(results["error"])
        return results
    print(format_table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
