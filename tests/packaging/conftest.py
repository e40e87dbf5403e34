"""Fixtures for the tests of the frozen app (PyInstaller builds in dist/, or an installed copy).

Which executables are tested:
  onefile    dist/cxr-desktop                      (packaging/build.sh onefile)
  onedir     dist/cxr-desktop-onedir/cxr-desktop   (packaging/build.sh onedir)
  installed  $CXR_FROZEN_EXE, e.g. /usr/bin/cxr-desktop after installing the .deb (.ci/packaging.sh)
Each is skipped, with the reason, when it is not there. The model: the one bundled in the build
when the repository has one (assets/model/model_card.json: release builds refuse to build
without it), else the tiny test model through CXR_DESKTOP_MODEL_DIR (builds made with
``--allow-no-model`` before the model was trained).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DIST = REPO_ROOT / "dist"
BUILDS = {
    "onefile": DIST / "cxr-desktop",
    "onedir": DIST / "cxr-desktop-onedir" / "cxr-desktop",
}
INSTALLED_ENV = "CXR_FROZEN_EXE"
SHIPPED_MODEL = REPO_ROOT / "assets" / "model" / "model_card.json"

# Nothing of the build machine may leak into the frozen app's environment.
_DROPPED_ENV = ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "PYTHONPATH", "PYTHONHOME",
                "VIRTUAL_ENV", "LD_LIBRARY_PATH", "QT_PLUGIN_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH",
                "QT_QPA_PLATFORM", "CXR_DESKTOP_MODEL_DIR", "CXR_DESKTOP_HOME",
                "CXR_DESKTOP_SMOKE_TEST")  # fmt: skip


@dataclass(frozen=True)
class Frozen:
    kind: str
    exe: Path
    env: dict[str, str]  # a clean environment: private home, no display, model if needed
    tmp: Path

    def run(self, *args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = (),
            timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, str(self.exe), *args], capture_output=True, text=True, timeout=timeout,
            env={**self.env, **(env or {})}, cwd=self.tmp,
        )  # fmt: skip

    def smoke(self, *files: Path, env: dict[str, str] | None = None, prefix: tuple[str, ...] = (),
              screenshot: Path | None = None) -> dict:
        """Run the GUI smoke test (offscreen unless env says otherwise); returns its report."""
        args = ["--smoke-test", *map(str, files), "--smoke-timeout", "90"]
        if screenshot is not None:
            args += ["--smoke-screenshot", str(screenshot)]
        proc = self.run(*args, env={"QT_QPA_PLATFORM": "offscreen", **(env or {})},
                        prefix=prefix)
        reports = [json.loads(line) for line in proc.stdout.splitlines()
                   if line.startswith("{") and '"smoke_test"' in line]
        assert reports, f"no smoke-test report (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        report = reports[-1]
        report["_returncode"] = proc.returncode
        report["_stderr"] = proc.stderr
        return report


def _installed() -> Path | None:
    value = os.environ.get(INSTALLED_ENV)
    return Path(value) if value else None


@pytest.fixture(scope="session")
def frozen_model_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if SHIPPED_MODEL.is_file():
        return {}
    from tests.helpers import build_tiny_model

    folder = build_tiny_model(tmp_path_factory.mktemp("frozen_tiny_model"))
    return {"CXR_DESKTOP_MODEL_DIR": str(folder)}


@pytest.fixture(params=["onefile", "onedir", "installed"])
def frozen(request: pytest.FixtureRequest, tmp_path: Path, frozen_model_env: dict[str, str]) -> Frozen:
    kind = request.param
    exe = _installed() if kind == "installed" else BUILDS[kind]
    if exe is None:
        pytest.skip(f"no installed app to test (set {INSTALLED_ENV}, e.g. /usr/bin/cxr-desktop)")
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        pytest.skip(f"no {kind} build at {exe} (build it with packaging/build.sh)")
    if kind != "installed" and SHIPPED_MODEL.is_file() and (
            exe.stat().st_mtime < SHIPPED_MODEL.stat().st_mtime):
        pytest.skip(f"the {kind} build is older than assets/model, so it has no (or an old) "
                    "model inside: rebuild it with packaging/build.sh")
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(frozen_model_env)
    env["HOME"] = str(tmp_path / "user")
    env["CXR_DESKTOP_HOME"] = str(tmp_path / "cxr-home")
    env["LANG"] = env.get("LANG") or "C.UTF-8"
    (tmp_path / "user").mkdir()
    return Frozen(kind, exe, env, tmp_path)


@pytest.fixture(scope="session")
def unshare_net() -> tuple[str, ...]:
    """``unshare -n``: run in a new network namespace with no interface at all (not even lo)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.strip()}")
    return ("unshare", "-n", "--")


@pytest.fixture(scope="session")
def strace() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is not installed")
    probe = subprocess.run([path, "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("strace cannot trace here (ptrace not permitted)")
    return path


@pytest.fixture(scope="session")
def xvfb_run() -> str:
    path = shutil.which("xvfb-run")
    if path is None:
        pytest.skip("xvfb-run is not installed (apt-get install xvfb xauth)")
    return path
