"""Integrity checks of the history file, always through SQLite (never plain file I/O, see
``connection.check_file``).

* ``check_at_open``: what runs before the history is used. ``PRAGMA quick_check`` of the
  ``readings`` table and its indexes, then of the whole file, within a time budget: at 100,000
  readings (4.9 GB) the whole-file ``quick_check`` takes ~2 s with the file in the OS cache and
  ~38 s cold, the ``readings`` table alone 0.15 s / 2.2 s (``python -m bench --only durability``
  measures it). What does not fit in the budget is left to ``full_check`` in the background.
* ``full_check``: ``PRAGMA integrity_check`` on a connection of its own (it blocks no writer: WAL).
* ``table_counts``: rows per table, for verifying a copy.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cxr_desktop.core.storage.sqlite.errors import sqlite_code

#: Seconds the check at open may take before the rest is left to the background check.
OPEN_CHECK_BUDGET_S = 1.0
#: Tables checked first at open (small rows; what the history view lists).
FIRST_TABLES = ("readings",)


@dataclass(frozen=True)
class CheckResult:
    """``ok``: True (no problem), False (damaged) or None (not finished within the budget)."""

    ok: bool | None
    problems: tuple[str, ...] = ()
    seconds: float = 0.0
    scope: str = ""  # what was checked: "readings", "file", "integrity"


def is_damage(exc: BaseException) -> bool:
    """SQLite found the file damaged or not a database (not an I/O or lock problem)."""
    code = sqlite_code(exc)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def open_for_check(path: Path) -> sqlite3.Connection:
    """A read-only connection (it writes nothing to the history; a WAL file is read, not reset)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)


def run_check(conn: sqlite3.Connection, pragma: str, budget_s: float | None = None,
              scope: str = "") -> CheckResult:
    """Run an integrity PRAGMA; stop it (ok=None) when it has taken more than ``budget_s``."""
    start = time.perf_counter()
    # sqlite3_interrupt from a timer: SQLite 3.40 looks at its progress handler too seldom
    # inside an integrity check (a 0.5 s budget ran 1.9 s at 4.9 GB) but stops on an interrupt
    # within milliseconds.
    timer = None if budget_s is None else threading.Timer(max(budget_s, 0.0), conn.interrupt)
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        rows = [str(r[0]) for r in conn.execute(pragma).fetchall()]
    except sqlite3.OperationalError as exc:
        if timer is not None and "interrupt" in str(exc).lower():
            return CheckResult(None, (), time.perf_counter() - start, scope)
        if is_damage(exc):
            return CheckResult(False, (str(exc),), time.perf_counter() - start, scope)
        raise
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return CheckResult(False, (str(exc),), time.perf_counter() - start, scope)
        raise
    finally:
        if timer is not None:
            timer.cancel()
    ok = rows == ["ok"]
    return CheckResult(ok, () if ok else tuple(rows), time.perf_counter() - start, scope)


def check_at_open(conn: sqlite3.Connection, budget_s: float = OPEN_CHECK_BUDGET_S) -> CheckResult:
    """The first tables, then the whole file, with ``quick_check`` within ``budget_s``. The
    result is ok=None when the whole file could not be checked in time (nothing wrong found)."""
    start = time.perf_counter()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in FIRST_TABLES:
        if table not in tables:
            continue
        left = budget_s - (time.perf_counter() - start)
        result = run_check(conn, f'PRAGMA quick_check("{table}")', max(left, 0.05), table)
        if result.ok is not True:
            return result
    left = budget_s - (time.perf_counter() - start)
    if left <= 0:
        return CheckResult(None, (), time.perf_counter() - start, "file")
    result = run_check(conn, "PRAGMA quick_check", left, "file")
    return CheckResult(result.ok, result.problems, time.perf_counter() - start, "file")


def full_check(path: Path) -> CheckResult:
    """``PRAGMA integrity_check`` of the whole file on its own read-only connection."""
    conn = open_for_check(path)
    try:
        return run_check(conn, "PRAGMA integrity_check", None, "integrity")
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            return CheckResult(False, (str(exc),), 0.0, "integrity")
        raise
    finally:
        conn.close()


def user_tables(conn: sqlite3.Connection) -> list[str]:
    """Ordinary tables (not SQLite's own, not virtual tables or their shadow tables)."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [name for name, sql in rows
            if not name.startswith("sqlite_") and name not in virtual
            and not any(name.startswith(v + "_") for v in virtual)]


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per ordinary table."""
    return {t: int(conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
            for t in user_tables(conn)}
