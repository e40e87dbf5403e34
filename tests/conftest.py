from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cxr_desktop import paths  # noqa: E402
from tests.helpers import build_tiny_model  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = paths.shared_data_dir()
    if not (root / "cxr3" / "manifest.csv").is_file():
        pytest.fail(f"shared data not found at {root} (set CXR_DATA_DIR)")
    return root


@pytest.fixture(scope="session")
def samples_dir(shared_data: Path) -> Path:
    return shared_data / "samples"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    folder = REPO_ROOT / "assets" / "model"
    if not (folder / "model_card.json").is_file():  # it is committed: missing means a broken checkout
        pytest.fail("the shipped model is missing (assets/model/model_card.json)")
    return folder


@pytest.fixture
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private CXR_DESKTOP_HOME so no test touches the real user data dir."""
    home = tmp_path / "home"
    monkeypatch.setenv("CXR_DESKTOP_HOME", str(home))
    return home


# -- issue 15: a PostgreSQL server for the clinic-network tests (tests/pg_server.py) ---------


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway server for the whole run; skipped only when the binaries are missing."""
    from tests.pg_server import own_server

    yield from own_server()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The address of a new, empty history on the test server (a schema of its own)."""
    return pg_server.new_history_url()
