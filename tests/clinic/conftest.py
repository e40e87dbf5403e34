"""Fixtures of the clinic-network tests: a server of their own that a test may stop and start
(the session's shared one stays up for the others)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def outage_server():
    from tests.pg_server import MISSING, PgServer, find_binaries

    bindir = find_binaries()
    if bindir is None:
        pytest.skip(MISSING)
    server = PgServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def server_up(outage_server):
    """The outage server, running at the start of the test and again at its end."""
    outage_server.start() if not _running(outage_server) else None
    yield outage_server
    if not _running(outage_server):
        outage_server.start()


def _running(server) -> bool:
    out = server._cmd("pg_ctl", "-D", str(server.data), "status", check=False)
    return out.returncode == 0
