"""What to list: ``ReadingQuery`` and the SQL it becomes (WHERE, ORDER BY, date bounds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cxr_desktop.core.storage.times import _parse_iso, utc_now_iso

#: What ``ReadingQuery.order_by`` may name.
ORDERABLE_COLUMNS = frozenset(
    {
        "id",
        "created_utc",
        "patient_id",
        "patient_name",
        "source_path",
        "file_format",
        "label",
        "ood_score",
        "inference_ms",
        "confirmed_label",
        "reviewed_utc",
        "model_version",
    }
)


class _Unset:
    """Marker for 'leave this field as it is' (``None`` means 'clear it')."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset()


@dataclass(frozen=True)
class ReadingQuery:
    """What to list. Dates are ISO dates or datetimes in UTC (naive = UTC), both ends inclusive."""

    text: str = ""  # case-insensitive substring of patient_id, patient_name or note
    label: str | None = None  # the model's label (OOD_LABEL for 'not a chest X-ray')
    date_from: str | None = None
    date_to: str | None = None
    reviewed: bool | None = None
    order_by: str = "created_utc"
    descending: bool = True
    limit: int = 100
    offset: int = 0


def _date_bound(value: str, upper: bool) -> tuple[str, str]:
    """SQL operator and canonical timestamp for an inclusive date_from/date_to."""
    try:
        parsed = _parse_iso(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from exc
    if isinstance(parsed, datetime):
        return ("<=" if upper else ">="), utc_now_iso(parsed)
    start = datetime(parsed.year, parsed.month, parsed.day, tzinfo=timezone.utc)
    if upper:  # the whole day is included: everything before the next midnight
        return "<", utc_now_iso(start + timedelta(days=1))
    return ">=", utc_now_iso(start)


def _where(query: ReadingQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    text = query.text.strip()
    if text:
        if text.isascii():
            # LIKE is case-insensitive for ASCII and runs in C; escape its wildcards.
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            columns = ("r.patient_id", "r.patient_name", "r.note")
            clauses.append("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")")
            params.extend([pattern] * len(columns))
        else:
            # Non-ASCII (e.g. accented names): Unicode case folding in Python, one call per row
            # (the fields joined by a unit separator nobody types).
            haystack = (
                "coalesce(r.patient_id, '') || char(31) || coalesce(r.patient_name, '')"
                " || char(31) || r.note"
            )
            clauses.append(f"instr(cxr_fold({haystack}), ?) > 0")
            params.append(text.casefold())
    if query.label is not None:
        clauses.append("r.label = ?")
        params.append(query.label)
    if query.date_from:
        op, bound = _date_bound(query.date_from, upper=False)
        clauses.append(f"r.created_utc {op} ?")
        params.append(bound)
    if query.date_to:
        op, bound = _date_bound(query.date_to, upper=True)
        clauses.append(f"r.created_utc {op} ?")
        params.append(bound)
    if query.reviewed is not None:
        # Matches the expression index readings_reviewed (reviewed?, created_utc).
        clauses.append("(r.reviewed_utc IS NOT NULL) = ?")
        params.append(1 if query.reviewed else 0)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _order(query: ReadingQuery) -> str:
    if query.order_by not in ORDERABLE_COLUMNS:
        raise ValueError(f"cannot order readings by {query.order_by!r}")
    direction = "DESC" if query.descending else "ASC"
    return f" ORDER BY r.{query.order_by} {direction}, r.id {direction}"


def _fold(value: Any) -> str | None:
    """The ``cxr_fold`` SQL function of every connection (Unicode case folding for search)."""
    return value.casefold() if isinstance(value, str) else None
