"""Issue 15 on SQLite: reading keys (``uid``), staff accounts and the append-only audit trail.

The audit table refuses UPDATE and DELETE by trigger: nothing the app runs can change or remove
an event (someone with the file and a SQLite shell still can: a PC's file is only as safe as the
PC; a clinic that needs more puts the history on its PostgreSQL server).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery, audit_where
from cxr_desktop.core.storage.times import utc_now_iso

SQL_V5 = """
CREATE UNIQUE INDEX readings_uid ON readings(uid);
CREATE TABLE accounts (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_utc TEXT NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at_utc TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    reading_id INTEGER,
    reading_uid TEXT,
    detail TEXT NOT NULL DEFAULT '',
    workstation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit(at_utc);
CREATE INDEX audit_reading ON audit(reading_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
"""

AUDIT_COLUMNS = ("id", "at_utc", "actor", "action", "reading_id", "reading_uid", "detail",
                 "workstation")


def migrate_v5(cur: sqlite3.Cursor) -> None:
    from cxr_desktop.core.storage.sqlite.schema import split_sql

    cur.execute("ALTER TABLE readings ADD COLUMN uid TEXT")
    cur.execute("ALTER TABLE readings ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
    ids = [row[0] for row in cur.execute("SELECT id FROM readings").fetchall()]
    cur.executemany("UPDATE readings SET uid = ? WHERE id = ?",
                    [(str(uuid.uuid4()), i) for i in ids])
    for statement in split_sql(SQL_V5):
        cur.execute(statement)


def find_uid(conn: sqlite3.Connection | sqlite3.Cursor, uid: str) -> int | None:
    row = conn.execute("SELECT id FROM readings WHERE uid = ?", (uid,)).fetchone()
    return None if row is None else int(row[0])


def save_account(cur: sqlite3.Cursor, account: Account) -> None:
    created = account.created_utc or utc_now_iso()
    cur.execute(
        "INSERT INTO accounts (name, role, password_hash, active, created_utc)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET role = excluded.role,"
        " password_hash = excluded.password_hash, active = excluded.active",
        (account.name, account.role, account.password_hash, int(account.active), created),
    )


def _account(row: tuple[Any, ...]) -> Account:
    return Account(name=row[0], role=row[1], password_hash=row[2], active=bool(row[3]),
                   created_utc=row[4])


def get_account(conn: sqlite3.Connection, name: str) -> Account | None:
    row = conn.execute("SELECT name, role, password_hash, active, created_utc FROM accounts"
                       " WHERE name = ?", (name,)).fetchone()
    return None if row is None else _account(row)


def list_accounts(conn: sqlite3.Connection) -> list[Account]:
    rows = conn.execute("SELECT name, role, password_hash, active, created_utc FROM accounts"
                        " ORDER BY name COLLATE NOCASE")
    return [_account(r) for r in rows]


def append_audit(cur: sqlite3.Cursor, event: AuditEvent) -> int:
    cur.execute(
        "INSERT INTO audit (at_utc, actor, action, reading_id, reading_uid, detail, workstation)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (event.at_utc or utc_now_iso(), event.actor, event.action, event.reading_id,
         event.reading_uid, event.detail, event.workstation),
    )
    return int(cur.lastrowid or 0)


def search_audit(conn: sqlite3.Connection, query: AuditQuery) -> list[AuditEvent]:
    clauses, params = audit_where(query, "?")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    direction = "DESC" if query.descending else "ASC"
    rows = conn.execute(
        f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit{where}"
        f" ORDER BY at_utc {direction}, id {direction} LIMIT ? OFFSET ?",
        [*params, max(0, int(query.limit)), max(0, int(query.offset))],
    )
    return [audit_event(r) for r in rows]


def audit_event(row: tuple[Any, ...]) -> AuditEvent:
    values = dict(zip(AUDIT_COLUMNS, row, strict=True))
    return AuditEvent(id=int(values["id"]), at_utc=str(values["at_utc"]), actor=values["actor"],
                      action=values["action"], reading_id=values["reading_id"],
                      reading_uid=values["reading_uid"], detail=values["detail"] or "",
                      workstation=values["workstation"] or "")
