"""Connecting to the clinic server: short timeouts so that a PC whose server is gone finds out
in seconds (the window never waits on it: every call runs on a history lane), TCP keepalives so
a dead link is noticed, UTC and a statement timeout on every session."""

from __future__ import annotations

import logging

from cxr_desktop.core.storage.postgresql.address import ServerAddress
from cxr_desktop.core.storage.postgresql.errors import storage_error

log = logging.getLogger("cxr_desktop.core.storage")

CONNECT_TIMEOUT_S = 5
#: A statement that has not finished by then is cancelled (a lock held by a PC that vanished).
STATEMENT_TIMEOUT_MS = 30_000
#: Unacknowledged data for this long means the link is dead (libpq tcp_user_timeout, Linux).
TCP_USER_TIMEOUT_MS = 15_000
SESSION = (
    "SET TIME ZONE 'UTC'",
    f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}",
    f"SET idle_in_transaction_session_timeout = {STATEMENT_TIMEOUT_MS * 2}",
)


def connect(address: ServerAddress, *, snapshot: bool = False, action: str = "open"):
    """A new connection: autocommit (transactions are explicit), or for ``snapshot`` one
    repeatable-read read-only transaction (iter_readings, export). Raises StorageError."""
    import psycopg

    options = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": "cxr-desktop",
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
    }
    given = address.values
    options = {k: v for k, v in options.items() if k not in given}
    try:
        conn = psycopg.connect(address.conninfo(), autocommit=not snapshot, **options)
    except psycopg.Error as exc:
        raise storage_error(exc, action, address.location()) from None
    try:
        if snapshot:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        with conn.cursor() as cur:
            for statement in SESSION:
                cur.execute(statement)
        if snapshot:
            conn.commit()
    except psycopg.Error as exc:
        conn.close()
        raise storage_error(exc, action, address.location()) from None
    return conn


def usable(conn) -> bool:
    return conn is not None and not conn.closed and not conn.broken


def probe(url: str, password: str | None = None) -> tuple[str, int]:
    """Connect once and read the schema version, changing nothing (Settings' connection test):
    (the address without password, the version; 0 = no CXR Desktop tables yet)."""
    import psycopg

    from cxr_desktop.core.storage.postgresql.address import parse_address
    from cxr_desktop.core.storage.postgresql.schema import current_version

    address = parse_address(url)
    if password is not None and address.password is None:
        address = address.with_password(password)
    conn = connect(address)
    try:
        with conn.cursor() as cur:
            return address.location(), current_version(cur)
    except psycopg.Error as exc:
        raise storage_error(exc, "read", address.location()) from None
    finally:
        conn.close()
