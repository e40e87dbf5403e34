"""Hostile environment: a read-only or full data folder, a missing, damaged or swapped model, a
history from a newer version. Each gives one clear message, the app keeps working where it can,
and nothing already saved is damaged.

The read-only and full folders are real tmpfs mounts (a tiny size for "full"); the tests are
skipped where mounting is not allowed (not root). chmod would not do: root ignores it.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.durability import make_reading
from cxr_desktop.cli import main
from cxr_desktop.core.errors import ModelError, NewerDatabaseError, StorageError
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from cxr_desktop.core.storage.sqlite.schema import SCHEMA_VERSION
from tests.helpers import build_tiny_model

# -- helpers ------------------------------------------------------------------------------------


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


@contextmanager
def tmpfs(where: Path, size: str = "4m") -> Iterator[Path]:
    """A fresh tmpfs at ``where``; ``remount_ro(where)`` makes it read-only."""
    where.mkdir(parents=True, exist_ok=True)
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    try:
        _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"mounting a tmpfs is not permitted here: {exc}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


def remount_ro(where: Path) -> None:
    _mount("-o", "remount,ro", str(where))


def fill_disk(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, bytes(4096))
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def small_reading(n: int):
    reading, _ = make_reading("h", n, random.Random(n))
    blobs = {"preview_png": b"p" * 3000, "heatmap_png": b"h" * 1000, "thumbnail_png": b"t" * 300}
    return replace(reading, **blobs)


def snapshot(db: Path) -> list[tuple]:
    """Every reading with its blobs, read without writing (immutable on a read-only disk)."""
    for options in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?{options}", uri=True)
        try:
            return conn.execute(
                "SELECT r.*, i.thumbnail_png, i.preview_png, i.heatmap_png FROM readings r"
                " LEFT JOIN reading_images i ON i.reading_id = r.id ORDER BY r.id"
            ).fetchall()
        except sqlite3.OperationalError:
            continue
        finally:
            conn.close()
    raise AssertionError(f"cannot read {db}")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_error_line(err: str) -> str:
    """stderr must be exactly one 'error: ...' line: no traceback, no logging noise."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "Logging error" not in err
    return lines[0]


@pytest.fixture
def xray(tmp_path: Path) -> Path:
    y, x = np.mgrid[0:256, 0:256]
    path = tmp_path / "xray.png"
    Image.fromarray(((x + y) % 256).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = build_tiny_model(tmp_path / "model")
    monkeypatch.setenv("CXR_DESKTOP_MODEL_DIR", str(folder))
    return folder


# -- read-only data folder -------------------------------------------------------------------


@pytest.fixture
def read_only_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """CXR_DESKTOP_HOME on a read-only disk that holds a history (3 readings) and a log folder."""
    with tmpfs(tmp_path / "home") as home:
        with History(home / "history.sqlite3") as history:
            for n in range(3):
                history.add(small_reading(n))
        (home / "logs").mkdir()
        remount_ro(home)
        monkeypatch.setenv("CXR_DESKTOP_HOME", str(home))
        yield home


def test_read_only_folder_history_can_be_read_and_saving_says_why(read_only_home: Path) -> None:
    db = read_only_home / "history.sqlite3"
    before, digest = snapshot(db), sha(db)
    with History(db) as history:
        assert history.read_only
        assert history.count() == 3 and len(history.search()) == 3
        assert history.get(1).preview_png == b"p" * 3000
        with pytest.raises(StorageError) as info:
            history.add(small_reading(9))
        assert str(info.value) == (
            "The reading history could not be saved. The folder or file is read-only or you do "
            "not have permission to write there."
        )
        with pytest.raises(StorageError, match="read-only"):
            history.update_review(1, note="n")
        assert history.export_csv(csv := read_only_home.parent / "out.csv") == 3
        assert len(csv.read_text(encoding="utf-8-sig").splitlines()) == 4
    assert snapshot(db) == before and sha(db) == digest
    assert sorted(p.name for p in read_only_home.iterdir()) == ["history.sqlite3", "logs"]


def test_read_only_folder_without_a_history(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro") as folder:
        remount_ro(folder)
        with pytest.raises(StorageError) as info:
            History(folder / "history.sqlite3")
        assert str(info.value) == (
            "The reading history could not be opened. The folder is read-only or you do not "
            "have permission to write there."
        )


def test_cli_on_a_read_only_folder(read_only_home: Path, model: Path, xray: Path, capsys) -> None:
    db = read_only_home / "history.sqlite3"
    digest = sha(db)
    # Reading without saving works, with no logging noise although the log file cannot be written.
    assert main(["predict", str(xray)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{xray}: ") and err == ""
    assert main(["predict", str(tmp := xray.with_name("missing.png"))]) == 2  # logs a line
    out, err = capsys.readouterr()
    assert f"{tmp}: error:" in out and "Logging error" not in err and "Traceback" not in err
    # Saving: the result is still shown, one clear error line, exit status 2.
    assert main(["predict", "--save", str(xray), str(xray)]) == 2
    out, err = capsys.readouterr()
    assert out.count(f"{xray}: ") == 2 and "saved as" not in out
    assert "read-only" in one_error_line(err)
    # The history is still listed.
    assert main(["history", "list"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3 and err == ""
    assert sha(db) == digest


# -- full disk ----------------------------------------------------------------------------------


def test_full_disk_while_running_keeps_what_was_saved(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", size="512k") as folder:
        db = folder / "history.sqlite3"
        history = History(db)
        for n in range(3):
            history.add(small_reading(n))
        before = snapshot(db)
        filler = fill_disk(folder)
        with pytest.raises(StorageError) as info:
            for n in range(3, 50):  # the WAL may still have a little room
                history.add(replace(small_reading(n), preview_png=os.urandom(60_000)))
        assert "The disk is full" in str(info.value)
        saved_while_full = history.count()
        assert snapshot(db)[:3] == before  # nothing already saved is damaged
        assert history.count() == saved_while_full  # the failed one left nothing behind
        filler.unlink()
        assert history.add(small_reading(99)) > 0  # works again once there is room
        history.close()
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()


def test_opening_the_history_on_a_full_disk_says_the_disk_is_full(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", size="512k") as folder:
        db = folder / "history.sqlite3"
        with History(db) as history:
            history.add(small_reading(0))
        before = snapshot(db)
        for leftover in ("history.sqlite3-wal", "history.sqlite3-shm"):  # from snapshot's reader
            (folder / leftover).unlink(missing_ok=True)
        filler = fill_disk(folder)
        with pytest.raises(StorageError) as info:  # no room for the -shm file SQLite needs
            History(db)
        assert str(info.value) == (
            "The reading history could not be opened. The disk is full. "
            "Free some disk space and try again."
        )
        filler.unlink()
        assert snapshot(db) == before
        with History(db) as history:
            assert history.count() == 1


def test_cli_on_a_full_disk(tmp_path: Path, model: Path, xray: Path, capsys,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    with tmpfs(tmp_path / "home", size="512k") as home:
        monkeypatch.setenv("CXR_DESKTOP_HOME", str(home))
        assert main(["predict", "--save", str(xray)]) == 0
        capsys.readouterr()
        db = home / "history.sqlite3"
        before = snapshot(db)
        fill_disk(home)
        assert main(["predict", str(xray)]) == 0  # reading without saving still works
        out, err = capsys.readouterr()
        assert out.startswith(f"{xray}: ") and err == ""
        assert main(["predict", "--save", str(xray)]) == 2
        _, err = capsys.readouterr()
        assert "The disk is full" in one_error_line(err)
        assert snapshot(db) == before


# -- the model ----------------------------------------------------------------------------------


def _break_model(folder: Path, how: str) -> None:
    card_path = folder / "model_card.json"
    card = json.loads(card_path.read_text())
    onnx = folder / card["model_file"]
    if how == "missing-file":
        onnx.unlink()
    elif how == "missing-folder":
        shutil.rmtree(folder)
    elif how == "flipped-byte":
        data = bytearray(onnx.read_bytes())
        data[len(data) // 2] ^= 0x01
        onnx.write_bytes(bytes(data))
    elif how == "swapped-card":  # the card of another model: its hash does not match
        other = build_tiny_model(folder.parent / "other", input_size=112)
        shutil.copy(other / "model_card.json", card_path)
        (other / "tiny.onnx").unlink()
    elif how == "renamed-outputs":  # a card that describes other outputs (hash still right)
        card["outputs"]["logits"] = "scores"
        card_path.write_text(json.dumps(card))
    elif how == "garbage-card":
        card_path.write_bytes(b"\x00\xff{not json")
    elif how == "truncated-onnx":  # damaged, and a card re-hashed to match: onnxruntime refuses
        data = onnx.read_bytes()[:200]
        onnx.write_bytes(data)
        card["sha256"] = hashlib.sha256(data).hexdigest()
        card_path.write_text(json.dumps(card))


MODEL_BREAKAGES = {
    "missing-file": "The AI model file is missing. Please reinstall CXR Desktop.",
    "missing-folder": "The AI model is missing. Please reinstall CXR Desktop.",
    "flipped-byte": "The AI model file is damaged or was replaced, so it will not be used. "
    "Please reinstall CXR Desktop.",
    "swapped-card": "The AI model file is damaged or was replaced, so it will not be used. "
    "Please reinstall CXR Desktop.",
    "renamed-outputs": "The AI model does not match its description. Please reinstall CXR Desktop.",
    "garbage-card": "The model description (model card) is damaged. Please reinstall CXR Desktop.",
    "truncated-onnx": "The AI model could not be loaded. Please reinstall CXR Desktop.",
}


@pytest.mark.parametrize("how", sorted(MODEL_BREAKAGES))
def test_broken_model_gives_one_clear_message_and_the_history_is_untouched(
    how: str, model: Path, xray: Path, app_home: Path, capsys
) -> None:
    assert main(["predict", "--save", str(xray)]) == 0  # one reading saved with the good model
    capsys.readouterr()
    db = app_home / "history.sqlite3"
    before = snapshot(db)
    _break_model(model, how)
    with pytest.raises(ModelError) as info:
        Classifier(model)
    assert info.value.message == MODEL_BREAKAGES[how]
    assert main(["predict", "--save", str(xray)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and one_error_line(err) == f"error: {MODEL_BREAKAGES[how]}"
    assert main(["history", "list"]) == 0  # the history still works without a model
    out, _ = capsys.readouterr()
    assert len(out.splitlines()) == 1
    assert snapshot(db) == before


# -- a history from a newer version --------------------------------------------------------------


def make_newer_history(db: Path) -> Path:
    """A history with one reading, marked as written by a newer version of the app."""
    with History(db) as history:
        history.add(small_reading(0))
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    return db


@pytest.fixture
def newer_history(app_home: Path) -> Path:
    return make_newer_history(app_home / "history.sqlite3")


def test_newer_history_is_refused_and_left_byte_for_byte(newer_history: Path) -> None:
    digest = sha(newer_history)
    with pytest.raises(NewerDatabaseError, match="newer version of CXR Desktop"):
        History(newer_history)
    assert sha(newer_history) == digest
    assert sorted(p.name for p in newer_history.parent.iterdir()) == ["history.sqlite3"]


def test_newer_history_on_a_read_only_folder_is_refused_too(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro") as folder:
        db = folder / "history.sqlite3"
        with History(db) as history:
            history.add(small_reading(0))
        conn = sqlite3.connect(db)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
        remount_ro(folder)
        with pytest.raises(NewerDatabaseError):
            History(db)


def test_cli_with_a_newer_history(newer_history: Path, model: Path, xray: Path, capsys) -> None:
    digest = sha(newer_history)
    assert main(["history", "list"]) == 2
    _, err = capsys.readouterr()
    assert "newer version" in one_error_line(err)
    assert main(["predict", "--save", str(xray)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "newer version" in one_error_line(err)
    assert main(["predict", str(xray)]) == 0  # reading without saving still works
    assert sha(newer_history) == digest


# -- backups on a full or missing disk (issue 14) ----------------------------------------------


def test_a_backup_onto_a_full_disk_says_so_and_leaves_nothing_behind(tmp_path: Path) -> None:
    from cxr_desktop.core.storage.safeguards import BackupError

    db = tmp_path / "data" / "history.sqlite3"
    with History(db) as history:
        for n in range(40):
            history.add(make_reading("full", n, random.Random(n))[0])  # ~2 MB of images
        with tmpfs(tmp_path / "usb", size="1m") as usb:
            with pytest.raises(BackupError) as info:
                history.backup(usb)
            assert info.value.message == (
                "The backup of the reading history could not be made. The disk is full. Free "
                "some disk space and try again.")
            assert list(usb.iterdir()) == []
        assert history.count() == 40  # the history goes on
        history.add(small_reading(99))


def test_a_backup_folder_on_a_drive_that_is_not_plugged_in(tmp_path: Path, monkeypatch) -> None:
    from cxr_desktop.core.storage.safeguards import BackupError
    from cxr_desktop.service import backups

    monkeypatch.setenv("CXR_DESKTOP_HOME", str(tmp_path / "home"))
    usb = tmp_path / "media" / "usb"
    usb.mkdir(parents=True)
    backups.choose_folder(usb / "cxr-backups")
    usb.rmdir()  # unplugged: its mount point is gone
    with History(tmp_path / "home" / "history.sqlite3") as history:
        history.add(small_reading(1))
        with pytest.raises(BackupError) as info:
            backups.backup_now(history)
        assert "cannot be found" in info.value.message and "plug the drive in" in info.value.message
    assert not usb.exists()  # never made on the disk underneath
