"""Private by default: the data folder 0700; the history, its -wal/-shm, logs, settings, CSV
exports and reports 0600; existing loose files tightened at start; the umask of the command line
and the window 077. Every test runs under the common umask 022, which made all of them 0644/0755
before."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxr_desktop import cli, private_files
from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from cxr_desktop.log_files import QuietRotatingFileHandler
from tests.core.storage.helpers import make_reading

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")

REPO_ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def current_umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def loose_file(path: Path, text: str = "x", permissions: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(permissions)
    return path


# --------------------------------------------------------------------------- the helpers


def test_make_private_dir_creates_0700(tmp_path: Path) -> None:
    folder = private_files.make_private_dir(tmp_path / "a" / "data")
    assert folder.is_dir() and mode(folder) == 0o700
    (tmp_path / "existing").mkdir(mode=0o755)
    private_files.make_private_dir(tmp_path / "existing")
    assert mode(tmp_path / "existing") == 0o755  # left alone: only secure_start tightens


def test_open_private_creates_and_tightens(tmp_path: Path) -> None:
    with private_files.open_private(tmp_path / "new.txt", "w", encoding="utf-8") as handle:
        handle.write("é")
    assert mode(tmp_path / "new.txt") == 0o600
    assert (tmp_path / "new.txt").read_text(encoding="utf-8") == "é"
    old = loose_file(tmp_path / "old.log", "kept\n")
    with private_files.open_private(old, "a", encoding="utf-8") as handle:
        handle.write("more\n")
    assert mode(old) == 0o600 and old.read_text() == "kept\nmore\n"
    with pytest.raises(FileExistsError):
        private_files.open_private(old, "x")
    with pytest.raises(ValueError):
        private_files.open_private(old, "r")


def test_write_private_is_atomic_and_0600(tmp_path: Path) -> None:
    target = loose_file(tmp_path / "report.pdf", "old")
    private_files.write_private(target, b"%PDF-1.7 new")
    assert target.read_bytes() == b"%PDF-1.7 new" and mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]  # no temporary left
    with pytest.raises(OSError):
        private_files.write_private(tmp_path / "missing-folder" / "x.pdf", "text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def test_tighten_keeps_owner_bits_skips_links_and_shared_folders(tmp_path: Path) -> None:
    read_only = loose_file(tmp_path / "ro.txt", permissions=0o444)
    assert private_files.tighten(read_only) and mode(read_only) == 0o400
    target = loose_file(tmp_path / "target.txt")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert not private_files.tighten(link) and mode(target) == 0o644
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    assert not private_files.tighten(shared) and mode(shared) == 0o1777
    assert not private_files.tighten(tmp_path / "missing")
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o755)
    assert private_files.tighten(folder) and mode(folder) == 0o700
    assert not private_files.tighten(folder)  # nothing left to do


def test_restrict_umask() -> None:
    old = private_files.restrict_umask()
    try:
        assert old == 0o022 and current_umask() == 0o077
    finally:
        private_files.restore_umask(old)
    assert current_umask() == 0o022


# ------------------------------------------------------------------ what the app writes


def test_history_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    db = tmp_path / "data" / "history.sqlite3"
    with History(db) as history:
        history.add(make_reading())
        sidecars = [Path(f"{db}{s}") for s in ("-wal", "-shm")]
        assert all(p.exists() for p in sidecars)
        assert [mode(p) for p in (db, *sidecars)] == [0o600] * 3
    assert mode(db.parent) == 0o700


def test_an_old_loose_history_is_tightened_when_opened(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    with History(db) as history:
        history.add(make_reading())
    db.chmod(0o644)
    with History(db) as history:
        assert history.count() == 1
        assert mode(db) == 0o600 and mode(Path(f"{db}-wal")) == 0o600


def test_csv_export_is_private_even_over_a_loose_file(tmp_path: Path) -> None:
    out = loose_file(tmp_path / "export.csv")
    with History(tmp_path / "h.sqlite3") as history:
        history.add(make_reading())
        history.export_csv(out)
        history.export_csv(tmp_path / "new.csv")
    assert mode(out) == 0o600 and mode(tmp_path / "new.csv") == 0o600


def test_log_files_are_private_also_after_rotation(tmp_path: Path) -> None:
    handler = QuietRotatingFileHandler(tmp_path / "app.log", maxBytes=200, backupCount=2,
                                       encoding="utf-8", delay=True)
    logger = logging.getLogger("tests.private_files")
    logger.addHandler(handler)
    try:
        for i in range(20):
            logger.warning("line %d with some text to fill the file", i)
    finally:
        logger.removeHandler(handler)
        handler.close()
    logs = sorted(tmp_path.glob("app.log*"))
    assert len(logs) == 3 and all(mode(p) == 0o600 for p in logs)


def test_crash_report_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cxr_desktop.ui.logging_setup import write_crash_report

    monkeypatch.setenv("CXR_DESKTOP_HOME", str(tmp_path / "home"))
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        report = write_crash_report(type(exc), exc, exc.__traceback__)
    assert report is not None and mode(report) == 0o600


def test_settings_ini_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> None:
    from cxr_desktop.ui.settings import AppSettings

    home = tmp_path / "home"
    monkeypatch.setenv("CXR_DESKTOP_HOME", str(home))
    ini = loose_file(home / "settings.ini", "[disclaimer]\naccepted_version=1\n")
    settings = AppSettings()
    assert settings.disclaimer_accepted and mode(ini) == 0o600
    ini.unlink()
    old = private_files.restrict_umask()  # what the app's start does
    try:
        settings = AppSettings()
        settings.accept_disclaimer()
    finally:
        private_files.restore_umask(old)
    assert ini.exists() and mode(ini) == 0o600


# ------------------------------------------------------------------------ at start


def test_secure_start_tightens_the_app_files_and_only_those(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("CXR_DESKTOP_HOME", str(home))
    ours = [loose_file(home / name) for name in (
        "history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm", "settings.ini",
        "logs/cxr-desktop.log", "logs/cxr-desktop.log.1", "logs/cxr-desktop-cli.log",
        "logs/crash-20260101-101010.log")]
    other = loose_file(home / "notes.txt")
    home.chmod(0o755)
    (home / "logs").chmod(0o755)
    old = private_files.secure_start()
    try:
        assert current_umask() == 0o077
    finally:
        private_files.restore_umask(old)
    assert mode(home) == 0o700 and mode(home / "logs") == 0o700
    assert {p.name: mode(p) for p in ours} == {p.name: 0o600 for p in ours}
    assert mode(other) == 0o644  # not the app's: untouched


def test_command_line_and_window_start_with_a_private_umask(monkeypatch: pytest.MonkeyPatch,
                                                           app_home: Path) -> None:
    seen: list[int] = []
    monkeypatch.setattr(cli, "_run_gui", lambda files: seen.append(current_umask()) or 0)
    assert cli.main([]) == 0 and cli.main_gui([]) == 0
    assert seen == [0o077, 0o077]
    assert current_umask() == 0o022  # given back to the caller (tests run in-process)


def test_cli_in_a_fresh_home_writes_nothing_others_can_read(tmp_path: Path, tiny_model_dir: Path,
                                                            samples_dir: Path) -> None:
    home = tmp_path / "fresh-home"
    image = sorted((samples_dir / "Normal").iterdir())[0]
    env = dict(os.environ, CXR_DESKTOP_HOME=str(home), CXR_DESKTOP_MODEL_DIR=str(tiny_model_dir),
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    run = [sys.executable, "-m", "cxr_desktop"]
    for args in (["predict", "--save", str(image)], ["history", "export", "--csv",
                                                      str(home / "out.csv")]):
        proc = subprocess.run(["sh", "-c", 'umask 022; exec "$@"', "sh", *run, *args], env=env,
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    made = [p for p in home.rglob("*")]
    assert {p.relative_to(home).as_posix() for p in made} >= {
        "history.sqlite3", "logs", "logs/cxr-desktop-cli.log", "out.csv"}
    loose = {p.relative_to(home).as_posix(): oct(mode(p)) for p in [home, *made]
             if mode(p) & 0o077}
    assert loose == {}
