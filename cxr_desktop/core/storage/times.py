"""Timestamps as the history stores them: ISO 8601 UTC with microseconds."""

from __future__ import annotations

from datetime import date, datetime, timezone


def utc_now_iso(now: datetime | None = None) -> str:
    """``now`` (default: the current time) as ISO 8601 UTC with microseconds, e.g.
    ``2026-11-26T18:25:00.123456+00:00``. A naive datetime is taken to be UTC."""
    moment = now if now is not None else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_iso(value: str) -> datetime | date:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def normalize_utc(value: str) -> str:
    """Any ISO 8601 date/datetime -> the canonical stored form (UTC, microseconds)."""
    try:
        parsed = parse_iso(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from exc
    if not isinstance(parsed, datetime):
        parsed = datetime(parsed.year, parsed.month, parsed.day)
    return utc_now_iso(parsed)
