"""The HistoryStore contract, run against the embedded SQLite backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxr_desktop.core.storage.sqlite import SqliteHistory
from tests.core.storage.contract import *  # noqa: F403 - the contract's tests run here
from tests.core.storage.contract_site_profiles import *  # noqa: F403 - issue 12


@pytest.fixture
def open_store(tmp_path: Path):
    path = tmp_path / "history.sqlite3"
    return lambda: SqliteHistory(path)


@pytest.fixture
def store(open_store):
    with open_store() as opened:
        yield opened
from tests.core.storage.contract_clinic import *  # noqa: E402,F403 - issue 15
from tests.core.storage.contract_safeguards import *  # noqa: E402, F403 - issue 14
