"""PostgreSQL-specific behaviour (the shared contract is test_postgresql_contract.py): what a
server cannot store as SQLite does, migrations, addresses without passwords, reconnecting."""

from __future__ import annotations

import pytest

from cxr_desktop.core.errors import DatabaseUnreachableError, NewerDatabaseError, StorageError
from cxr_desktop.core.storage import ReadingQuery, open_history
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.core.storage.postgresql.address import parse_address
from cxr_desktop.core.storage.postgresql.schema import MIGRATIONS, SCHEMA_VERSION
from tests.core.storage.helpers import make_reading


def test_a_nul_in_a_hostile_tag_is_stored_not_refused(pg_url: str) -> None:
    with PostgresHistory(pg_url) as store:
        new_id = store.add(make_reading(patient_id="A\x00B", patient_name="Nul\x00Name"))
        got = store.get(new_id)
        assert (got.patient_id, got.patient_name) == ("A\ufffdB", "Nul\ufffdName")
        store.update_review(new_id, note="x\x00y")
        assert store.get(new_id).note == "x\ufffdy"
        assert [r.id for r in store.search(ReadingQuery(text="nul"))] == [new_id]


def test_open_history_with_a_url_opens_the_server(pg_url: str) -> None:
    with open_history(pg_url) as store:
        info = store.info()
        assert info.backend == "postgresql" and info.schema_version == SCHEMA_VERSION
        assert "admin-secret" not in info.location and info.location.startswith("postgresql://")


def test_the_schema_version_is_kept_and_a_newer_one_is_refused(pg_server, pg_url: str) -> None:
    with PostgresHistory(pg_url) as store:
        assert store._read(lambda cur: (cur.execute("SELECT version FROM cxr_schema"),
                                        cur.fetchone())[1]) == (len(MIGRATIONS),)
        store._write(lambda cur: cur.execute("UPDATE cxr_schema SET version = 99"))
    with pytest.raises(NewerDatabaseError):
        PostgresHistory(pg_url)


def test_bad_addresses_are_explained() -> None:
    with pytest.raises(StorageError, match="not valid"):
        parse_address("postgresql://user@host:notaport/cxr?bad")
    with pytest.raises(StorageError, match="does not name a database"):
        parse_address("postgresql://user@host:5432")
    address = parse_address("postgresql://cxr_app:s3cret@server:5432/cxr?sslmode=verify-full")
    assert address.location() == "postgresql://cxr_app@server:5432/cxr?sslmode=verify-full"
    assert "s3cret" not in repr(address.params) and address.password == "s3cret"


def test_a_server_that_is_not_there_is_unreachable_quickly() -> None:
    from tests.pg_server import free_port

    with pytest.raises(DatabaseUnreachableError) as info:
        PostgresHistory(f"postgresql://u:pw@127.0.0.1:{free_port()}/cxr")
    assert "cannot be reached" in info.value.message and "pw" not in (info.value.detail or "")
    lazy = PostgresHistory(f"postgresql://u@127.0.0.1:{free_port()}/cxr", connect_now=False)
    with pytest.raises(DatabaseUnreachableError):
        lazy.count()
    lazy.close()


def test_a_connection_broken_by_a_server_restart_is_replaced(pg_server, pg_url: str) -> None:
    with PostgresHistory(pg_url) as store:
        store.add(make_reading())
        # the server ends every session of this history (what a restart does to a PC)
        pg_server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
                      "pg_backend_pid() AND application_name = 'cxr-desktop'")
        assert store.count() == 1  # the read retried on a new connection
        store.add(make_reading())  # the dead write connection was noticed before BEGIN
        assert store.count() == 2
