"""The write transaction: ``BEGIN IMMEDIATE`` with a busy timeout and a few retries, so two
windows or a CLI run writing at the same time wait for each other instead of failing."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cxr_desktop.core.storage.sqlite.errors import is_busy, storage_error

log = logging.getLogger("cxr_desktop.core.storage")

T = TypeVar("T")

WRITE_ATTEMPTS = 5


def write_transaction(
    conn: sqlite3.Connection, work: Callable[[sqlite3.Cursor], T], action: str, path: Path
) -> T:
    """Run ``work`` in one BEGIN IMMEDIATE transaction; retry while another writer holds it.
    The caller holds the lock that guards ``conn``."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        cur = conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            result = work(cur)
            cur.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            _rollback(conn)
            if is_busy(exc) and attempt < WRITE_ATTEMPTS:
                log.info("history busy, retrying (attempt %d)", attempt)
                time.sleep(0.05 * attempt)
                continue
            raise storage_error(exc, action, path) from exc
        except BaseException:
            _rollback(conn)
            raise
        finally:
            cur.close()
    raise AssertionError("unreachable")  # pragma: no cover


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.warning("history: rollback failed", exc_info=True)
