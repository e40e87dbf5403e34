"""Fixtures of the clinic-network tests: a server of their own that a test may stop and start
(the session's shared one stays up for the others)."""

from __future__ import annotations

import pytest

from tests.pg_server import own_server


@pytest.fixture(scope="module")
def outage_server():
    yield from own_server()


@pytest.fixture
def server_up(outage_server):
    """The outage server, running at the start of the test and again at its end."""
    if not outage_server.running():
        outage_server.start()
    yield outage_server
    if not outage_server.running():
        outage_server.start()
