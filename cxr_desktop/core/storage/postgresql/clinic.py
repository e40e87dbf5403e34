"""Issue 15 on the server: reading keys, staff accounts and the audit trail. The PCs' role has
only SELECT and INSERT on ``audit`` (``schema.GRANTS``): the app cannot change an event."""

from __future__ import annotations

import uuid
from typing import Any

from cxr_desktop.core.storage.accounts import Account
from cxr_desktop.core.storage.audit import AuditEvent, AuditQuery, audit_where
from cxr_desktop.core.storage.postgresql.rows import text
from cxr_desktop.core.storage.times import utc_now_iso

ACCOUNT_COLUMNS = "name, role, password_hash, active, created_utc"
AUDIT_COLUMNS = "id, at_utc, actor, action, reading_id, reading_uid, detail, workstation"


def _uuid_or_none(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None


def find_uid(cur: Any, uid: str) -> int | None:
    key = _uuid_or_none(uid)
    if key is None:
        return None
    cur.execute("SELECT id FROM readings WHERE uid = %s::uuid", (key,))
    row = cur.fetchone()
    return None if row is None else int(row[0])


def save_account(cur: Any, account: Account) -> None:
    cur.execute(
        f"INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (%s, %s, %s, %s, %s::timestamptz)"
        " ON CONFLICT ((lower(name))) DO UPDATE SET role = excluded.role,"
        " password_hash = excluded.password_hash, active = excluded.active",
        (text(account.name), account.role, account.password_hash, bool(account.active),
         account.created_utc or utc_now_iso()))


def _account(row: tuple[Any, ...]) -> Account:
    return Account(name=row[0], role=row[1], password_hash=row[2], active=bool(row[3]),
                   created_utc=utc_now_iso(row[4]))


def get_account(cur: Any, name: str) -> Account | None:
    cur.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(name) = lower(%s)", (name,))
    row = cur.fetchone()
    return None if row is None else _account(row)


def list_accounts(cur: Any) -> list[Account]:
    cur.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY lower(name)")
    return [_account(r) for r in cur.fetchall()]


def append_audit(cur: Any, event: AuditEvent) -> int:
    cur.execute(
        "INSERT INTO audit (at_utc, actor, action, reading_id, reading_uid, detail, workstation)"
        " VALUES (%s::timestamptz, %s, %s, %s, %s::uuid, %s, %s) RETURNING id",
        (event.at_utc or utc_now_iso(), text(event.actor), event.action, event.reading_id,
         _uuid_or_none(event.reading_uid), text(event.detail), text(event.workstation)))
    return int(cur.fetchone()[0])


def search_audit(cur: Any, query: AuditQuery) -> list[AuditEvent]:
    clauses, params = audit_where(query, "%s")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    direction = "DESC" if query.descending else "ASC"
    cur.execute(f"SELECT {AUDIT_COLUMNS} FROM audit{where} ORDER BY at_utc {direction},"
                f" id {direction} LIMIT %s OFFSET %s",
                [*params, max(0, int(query.limit)), max(0, int(query.offset))])
    return [AuditEvent(id=int(r[0]), at_utc=utc_now_iso(r[1]), actor=r[2], action=r[3],
                       reading_id=r[4], reading_uid=None if r[5] is None else str(r[5]),
                       detail=r[6] or "", workstation=r[7] or "") for r in cur.fetchall()]
