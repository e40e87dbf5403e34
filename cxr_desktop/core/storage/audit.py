"""The audit trail as every backend stores it (issue 15): who did what, when, to which reading.

Append-only: no backend offers a way to change or remove an event (on PostgreSQL the app's role
has no UPDATE/DELETE on the table; on SQLite triggers refuse both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxr_desktop.core.storage.query import date_bound

#: What an event may record.
AUDIT_ACTIONS = frozenset(
    {"sign_in", "sign_in_failed", "sign_out", "lock", "save", "view", "review", "edit_patient",
     "delete", "export", "report", "calibrate", "quality", "account", "audit_export", "denied",
     "stale_review"}
)


@dataclass(frozen=True)
class AuditEvent:
    actor: str  # the account name ("" when accounts are off)
    action: str  # one of AUDIT_ACTIONS
    at_utc: str = ""  # set by the store when empty
    reading_id: int | None = None
    reading_uid: str | None = None
    detail: str = ""  # what changed, in words for a supervisor; never a password
    workstation: str = ""  # the PC's name
    id: int | None = None


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    reading_id: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    descending: bool = True
    limit: int = 200
    offset: int = 0


def audit_where(query: AuditQuery, mark: str) -> tuple[list[str], list[Any]]:
    """WHERE clauses of an AuditQuery with ``mark`` as the placeholder (shared by backends)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("actor", query.actor), ("action", query.action),
                          ("reading_id", query.reading_id)):
        if value is not None:
            clauses.append(f"{column} = {mark}")
            params.append(value)
    for value, upper in ((query.date_from, False), (query.date_to, True)):
        if value:
            op, bound = date_bound(value, upper)
            clauses.append(f"at_utc {op} {mark}")
            params.append(bound)
    return clauses, params
