"""scripts/start.sh on a machine that is already set up starts the app with no network at all
(inside ``unshare -n``: a network namespace without any interface). The app cannot open a
window here, so the scripts run it in smoke-test mode (CXR_DESKTOP_SMOKE_TEST=1).

Two set-ups are tried: a throw-away checkout whose .venv reuses the installed dependencies
(always, where ``unshare -n`` is permitted), and this checkout itself when scripts/setup.sh set
up its .venv (as CI does before the tests)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
STAMP = ".venv/.cxr-desktop-setup"


def _stamp(pyproject: Path, extras: str) -> str:
    digest = hashlib.sha256(pyproject.read_bytes()).hexdigest()
    return f"pyproject={digest}\nextras={extras}\n"


@pytest.fixture(scope="module")
def unshare_net() -> list[str]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.strip()}")
    return ["unshare", "-n", "--"]


def _start_offline(repo: Path, unshare_net: list[str], tmp_path: Path,
                   model_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")
           and k not in ("PYTHONPATH", "VIRTUAL_ENV", "DISPLAY", "WAYLAND_DISPLAY")}
    # pip as on any machine: PyPI only (this one's pip also has local package folders, which
    # work without a network and would hide a download attempt), and no retries.
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_RETRIES="0", PIP_DEFAULT_TIMEOUT="5")
    env.update(CXR_DESKTOP_SMOKE_TEST="1", QT_QPA_PLATFORM="offscreen",
               CXR_DESKTOP_HOME=str(tmp_path / "home"), CXR_DESKTOP_MODEL_DIR=str(model_dir))
    return subprocess.run([*unshare_net, "bash", str(repo / "scripts" / "start.sh")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


def _smoke_report(proc: subprocess.CompletedProcess[str]) -> dict:
    lines = [line for line in proc.stdout.splitlines() if '"smoke_test"' in line]
    assert lines, (proc.returncode, proc.stdout, proc.stderr)
    return json.loads(lines[-1])


@pytest.fixture
def set_up_checkout(tmp_path: Path) -> Path:
    """A checkout as scripts/setup.sh leaves it: scripts, pyproject.toml, the package, and a
    .venv that imports this checkout's package (as ``pip install -e .`` makes it), has the
    ``cxr-desktop`` command and the stamp. The dependencies are the installed ones."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    shutil.copytree(REPO_ROOT / "scripts", repo / "scripts")
    shutil.copy(REPO_ROOT / "pyproject.toml", repo / "pyproject.toml")
    shutil.copytree(REPO_ROOT / "cxr_desktop", repo / "cxr_desktop",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "assets").symlink_to(REPO_ROOT / "assets", target_is_directory=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True,
                   timeout=120)
    venv_python = repo / ".venv" / "bin" / "python"
    site = subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    installed = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(site) / "checkout.pth").write_text("\n".join([str(repo), *sorted(installed)]) + "\n")
    command = repo / ".venv" / "bin" / "cxr-desktop"
    command.write_text(f"#!{venv_python}\nimport sys\nfrom cxr_desktop.cli import main\n"
                       "sys.exit(main())\n")
    command.chmod(0o755)
    (repo / STAMP).write_text(_stamp(repo / "pyproject.toml", "dev"))
    return repo


def test_start_sh_offline_on_a_set_up_checkout(set_up_checkout: Path, unshare_net: list[str],
                                               tmp_path: Path, tiny_model_dir: Path) -> None:
    proc = _start_offline(set_up_checkout, unshare_net, tmp_path, tiny_model_dir)
    report = _smoke_report(proc)
    assert proc.returncode == 0 and report["smoke_test"] == "ok", (report, proc.stderr[-3000:])
    assert "Setting up" not in proc.stderr and "pip" not in proc.stderr


def test_start_sh_sets_up_again_when_pyproject_changes(set_up_checkout: Path,
                                                       unshare_net: list[str], tmp_path: Path,
                                                       tiny_model_dir: Path) -> None:
    with open(set_up_checkout / "pyproject.toml", "a") as handle:
        handle.write("\n# a new dependency would go here\n")
    proc = _start_offline(set_up_checkout, unshare_net, tmp_path, tiny_model_dir)
    assert proc.returncode != 0
    assert "needs the internet once" in proc.stderr, proc.stderr[-3000:]
    assert '"smoke_test"' not in proc.stdout  # the app was not started on a stale install
    assert not (set_up_checkout / STAMP).exists()  # and the next start tries again


def test_start_sh_offline_in_this_checkout(unshare_net: list[str], tmp_path: Path,
                                           tiny_model_dir: Path) -> None:
    """The real thing, where scripts/setup.sh set up this checkout's .venv (CI does)."""
    stamp = REPO_ROOT / STAMP
    if not stamp.is_file():
        pytest.skip("this checkout's .venv was not set up by scripts/setup.sh (no stamp)")
    if stamp.read_text() not in {_stamp(REPO_ROOT / "pyproject.toml", e) for e in ("", "dev")}:
        pytest.skip("pyproject.toml changed since scripts/setup.sh ran: run it again")
    probe = subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "python"), "-I", "-c",
                            "import cxr_desktop; print(cxr_desktop.__file__)"],
                           capture_output=True, text=True)
    if not Path(probe.stdout.strip() or "/").resolve().is_relative_to(REPO_ROOT.resolve()):
        pytest.skip(f".venv belongs to another checkout ({probe.stdout.strip()})")
    proc = _start_offline(REPO_ROOT, unshare_net, tmp_path, tiny_model_dir)
    report = _smoke_report(proc)
    assert proc.returncode == 0 and report["smoke_test"] == "ok", (report, proc.stderr[-3000:])
