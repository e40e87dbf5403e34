"""``ReadingQuery`` -> SQLite WHERE and ORDER BY clauses."""

from __future__ import annotations

from typing import Any

from cxr_desktop.core.storage.query import ReadingQuery, check_query, date_bound
from cxr_desktop.core.storage.search_text import MIN_INDEXED_LENGTH, fold, search_text


def _text_clause(text: str, indexed: bool) -> tuple[str, list[Any]]:
    folded = fold(text)
    if indexed and len(folded) >= MIN_INDEXED_LENGTH:
        # A trigram index over the folded fields answers a substring query in milliseconds.
        phrase = '"' + folded.replace('"', '""') + '"'
        return "r.id IN (SELECT rowid FROM readings_fts WHERE readings_fts MATCH ?)", [phrase]
    return "instr(r.search_text, ?) > 0", [folded]


def where(query: ReadingQuery, indexed: bool = True) -> tuple[str, list[Any]]:
    """`` WHERE ...`` (or '') and its parameters. ``indexed``: the file has the text index."""
    check_query(query)
    clauses: list[str] = []
    params: list[Any] = []
    text = query.text.strip()
    if text:
        clause, values = _text_clause(text, indexed)
        clauses.append(clause)
        params.extend(values)
    if query.label is not None:
        clauses.append("r.label = ?")
        params.append(query.label)
    if query.date_from:
        op, bound = date_bound(query.date_from, upper=False)
        clauses.append(f"r.created_utc {op} ?")
        params.append(bound)
    if query.date_to:
        op, bound = date_bound(query.date_to, upper=True)
        clauses.append(f"r.created_utc {op} ?")
        params.append(bound)
    if query.reviewed is not None:
        # Matches the expression index readings_reviewed (reviewed?, created_utc).
        clauses.append("(r.reviewed_utc IS NOT NULL) = ?")
        params.append(1 if query.reviewed else 0)
    if query.file_sha256 is not None:
        clauses.append("r.file_sha256 = ?")
        params.append(query.file_sha256)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def order(query: ReadingQuery) -> str:
    check_query(query)
    direction = "DESC" if query.descending else "ASC"
    return f" ORDER BY r.{query.order_by} {direction}, r.id {direction}"


def sql_search_text(patient_id: Any, patient_name: Any, note: Any) -> str:
    """The ``cxr_search_text`` SQL function of every connection."""
    as_text = [v if isinstance(v, str) else None for v in (patient_id, patient_name, note)]
    return search_text(*as_text)
