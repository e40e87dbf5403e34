"""The HistoryStore contract, run against the PostgreSQL backend on a real server that the
tests start (tests/pg_server.py: initdb + pg_ctl in a temporary folder). Each test gets an
empty history of its own."""

from __future__ import annotations

import pytest

from tests.core.storage.contract import *  # noqa: F403 - the contract's tests run here


@pytest.fixture
def open_store(pg_url: str):
    from cxr_desktop.core.storage.postgresql import PostgresHistory

    return lambda: PostgresHistory(pg_url)


@pytest.fixture
def store(open_store):
    with open_store() as opened:
        yield opened


from tests.core.storage.contract_clinic import *  # noqa: E402,F403 - issue 15
from tests.core.storage.contract_site_profiles import *  # noqa: E402,F403 - issue 12
