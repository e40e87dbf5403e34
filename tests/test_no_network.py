"""No network, proven in process: a full open -> predict -> save -> list cycle with every way of
reaching the network made to raise.

Two nets: ``socket.socket`` / ``create_connection`` / ``getaddrinfo`` / ``gethostbyname`` /
``socketpair`` monkeypatched to raise, and a Python audit hook that refuses socket creation,
connection and name resolution at the C level (catching code that kept a reference to the real
functions). Either one records the attempt; the test asserts there was none. The frozen app is
checked the same way from outside in tests/packaging (no network namespace, strace).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxr_desktop import cli
from cxr_desktop.core.imaging import load_xray
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage import ReadingQuery, reading_from_prediction
from cxr_desktop.core.storage.sqlite import SqliteHistory as History

NETWORK_EVENTS = frozenset(
    {"socket.__new__", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
     "socket.gethostbyaddr", "socket.bind", "socket.sendto", "urllib.Request"}
)  # fmt: skip

_guard = threading.local()
_attempts: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event in NETWORK_EVENTS and getattr(_guard, "on", False):
        _attempts.append(f"{event}{args!r}"[:200])
        raise OSError(f"network access attempted in a no-network test: {event}")


sys.addaudithook(_audit)  # permanent, but inert unless a test turns it on (per thread)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Turn both nets on; yields the list of attempts (must stay empty)."""
    _attempts.clear()

    def refuse(name: str):
        def blocked(*args, **kwargs):
            _attempts.append(f"{name}{args!r}"[:200])
            raise OSError(f"network access attempted in a no-network test: {name}")

        return blocked

    real_socket = socket.socket

    class BlockedSocket(real_socket):  # a class, so modules that subclass it (ssl) still import
        def __init__(self, *args, **kwargs):
            _attempts.append(f"socket.socket{args!r}"[:200])
            raise OSError("network access attempted in a no-network test: socket.socket")

    monkeypatch.setattr(socket, "socket", BlockedSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "socketpair"):
        monkeypatch.setattr(socket, name, refuse(f"socket.{name}"))
    _guard.on = True
    try:
        yield _attempts
    finally:
        _guard.on = False


def test_the_guard_works(no_network: list[str]) -> None:
    """The nets really catch a connection attempt (else the tests below prove nothing)."""
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(OSError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(OSError):
        import _socket

        _socket.socket()  # the C-level class, behind the monkeypatch: the audit hook sees it
    assert len(no_network) == 3
    no_network.clear()


def _cycle(model_dir: Path, image: Path, db: Path) -> None:
    """Open, predict (with heatmap), save, list and re-read: what the window does per X-ray."""
    xray = load_xray(image)
    classifier = Classifier(model_dir)
    prediction = classifier.predict(xray, with_heatmap=True)
    with History(db) as history:
        reading_id = history.add(reading_from_prediction(xray, prediction))
        listed = history.search(ReadingQuery(limit=10))
        assert [r.id for r in listed] == [reading_id]
        stored = history.get(reading_id)
        assert stored is not None and stored.label == prediction.label
        assert history.export_csv(db.parent / "export.csv") == 1


def _sample(samples_dir: Path) -> Path:
    return sorted((samples_dir / "Normal").iterdir())[0]


def test_predict_and_save_without_network(
    no_network: list[str], tiny_model_dir: Path, samples_dir: Path, tmp_path: Path
) -> None:
    _cycle(tiny_model_dir, _sample(samples_dir), tmp_path / "history.sqlite3")
    assert no_network == []


def test_shipped_model_without_network(
    no_network: list[str], shipped_model_dir: Path, samples_dir: Path, tmp_path: Path
) -> None:
    _cycle(shipped_model_dir, _sample(samples_dir), tmp_path / "history.sqlite3")
    assert no_network == []


def test_command_line_predict_save_list_without_network(
    no_network: list[str], tiny_model_dir: Path, samples_dir: Path, app_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """The same through ``cxr-desktop predict --save`` and ``history list`` (logging included)."""
    files = [str(p) for p in sorted((samples_dir / "COVID-19").iterdir())[:2]]
    assert cli.main(["predict", *files, "--json", "--save", "--model-dir", str(tiny_model_dir)]) == 0
    assert cli.main(["history", "list", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4 and all("error" not in obj for obj in lines)
    assert no_network == []


def test_dicom_without_network(no_network: list[str], tiny_model_dir: Path, tmp_path: Path) -> None:
    """pydicom (its optional data downloader imports urllib) and the JPEG decoder stay offline."""
    import numpy as np

    from tests.core.dicom_factory import jpeg_baseline, write

    gray = (np.add.outer(np.arange(512), np.arange(512)) // 4 % 256).astype(np.uint8)
    path = write(tmp_path / "chest.dcm", jpeg_baseline(gray, PatientID="NONET-1"))
    _cycle(tiny_model_dir, path, tmp_path / "history.sqlite3")
    assert no_network == []
