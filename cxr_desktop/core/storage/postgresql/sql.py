"""``ReadingQuery`` -> PostgreSQL WHERE and ORDER BY, giving the answers SQLite gives: text
by the folded substring (pg_trgm answers ``LIKE``), text columns ordered byte-wise (``COLLATE
"C"``, as SQLite's BINARY) with NULLs where SQLite puts them (first ascending, last descending)."""

from __future__ import annotations

from typing import Any

from cxr_desktop.core.storage.query import ReadingQuery, check_query, date_bound
from cxr_desktop.core.storage.search_text import fold

TEXT_COLUMNS = frozenset({"patient_id", "patient_name", "source_path", "file_format", "label",
                          "confirmed_label", "model_version"})


def like_pattern(text: str) -> str:
    """``%<text>%`` with LIKE's own characters escaped (backslash is LIKE's default escape)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where(query: ReadingQuery) -> tuple[str, list[Any]]:
    check_query(query)
    clauses: list[str] = []
    params: list[Any] = []
    text = query.text.strip()
    if text:
        clauses.append("r.search_text LIKE %s")  # the trigram index answers it
        params.append(like_pattern(fold(text)))
    if query.label is not None:
        clauses.append("r.label = %s")
        params.append(query.label)
    for value, upper in ((query.date_from, False), (query.date_to, True)):
        if value:
            op, bound = date_bound(value, upper)
            clauses.append(f"r.created_utc {op} %s::timestamptz")
            params.append(bound)
    if query.reviewed is not None:
        clauses.append("(r.reviewed_utc IS NOT NULL) = %s")
        params.append(bool(query.reviewed))
    if query.file_sha256 is not None:
        clauses.append("r.file_sha256 = %s")
        params.append(query.file_sha256)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def order(query: ReadingQuery) -> str:
    check_query(query)
    direction = "DESC" if query.descending else "ASC"
    nulls = "NULLS LAST" if query.descending else "NULLS FIRST"
    column = f"r.{query.order_by}"
    if query.order_by in TEXT_COLUMNS:
        column += ' COLLATE "C"'
    return f" ORDER BY {column} {direction} {nulls}, r.id {direction}"
