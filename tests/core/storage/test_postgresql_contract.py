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
from tests.core.storage.contract_paperwork import *  # noqa: E402,F403 - issue 11
from tests.core.storage.contract_site_profiles import *  # noqa: E402,F403 - issue 12


def test_a_clinic_server_is_backed_up_on_the_server_not_from_a_pc(store) -> None:
    """Issue 14's safeguards on a clinic server: nothing to tell, no local copies, and a backup
    or restore asked from a PC says where backups are made (issue 15: pg_dump on the server)."""
    from cxr_desktop.core.storage.safeguards import BackupError

    assert store.notices() == [] and store.verify() == [] and store.backups() == []
    for attempt in (store.backup, lambda: store.restore("x.sqlite3")):
        with pytest.raises(BackupError) as info:
            attempt()
        assert "server" in info.value.message
