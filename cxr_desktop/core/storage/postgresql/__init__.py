"""The shared clinic server: ``HistoryStore`` on PostgreSQL (psycopg 3), issue 15.

Modules: ``history`` (PostgresHistory: connections and the API), ``address`` (the URL, shown
without its password), ``connection`` (connecting, timeouts, reconnecting), ``errors``
(-> StorageError / DatabaseUnreachableError), ``schema`` (MIGRATIONS, numbered like SQLite's),
``sql`` (ReadingQuery -> SQL), ``rows`` (row <-> Reading), ``clinic`` (keys, accounts, audit),
``copy`` (a history to the server: ``history migrate --to``). The app uses
``storage.open_history(url)``; psycopg is imported only when a server is asked for.
"""

from __future__ import annotations

from cxr_desktop.core.storage.postgresql.address import is_database_url

__all__ = ["PostgresHistory", "is_database_url"]


def __getattr__(name: str):
    if name == "PostgresHistory":
        from cxr_desktop.core.storage.postgresql.history import PostgresHistory

        return PostgresHistory
    raise AttributeError(name)
