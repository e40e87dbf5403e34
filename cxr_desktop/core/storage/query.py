"""What to list: ``ReadingQuery``, backend-neutral (each backend turns it into its own query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cxr_desktop.core.storage.times import parse_iso, utc_now_iso

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


class Unset:
    """Marker for 'leave this field as it is' (``None`` means 'clear it')."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = Unset()


@dataclass(frozen=True)
class ReadingQuery:
    """What to list. Dates are ISO dates or datetimes in UTC (naive = UTC), both ends inclusive."""

    text: str = ""  # substring of patient_id, patient_name or note (case and accents folded)
    label: str | None = None  # the model's label (OOD_LABEL for 'not a chest X-ray')
    date_from: str | None = None
    date_to: str | None = None
    reviewed: bool | None = None
    file_sha256: str | None = None  # readings of exactly this file
    order_by: str = "created_utc"
    descending: bool = True
    limit: int = 100
    offset: int = 0


def date_bound(value: str, upper: bool) -> tuple[str, str]:
    """SQL operator and canonical timestamp for an inclusive date_from/date_to."""
    try:
        parsed = parse_iso(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from exc
    if isinstance(parsed, datetime):
        return ("<=" if upper else ">="), utc_now_iso(parsed)
    start = datetime(parsed.year, parsed.month, parsed.day, tzinfo=timezone.utc)
    if upper:  # the whole day is included: everything before the next midnight
        return "<", utc_now_iso(start + timedelta(days=1))
    return ">=", utc_now_iso(start)


def check_query(query: ReadingQuery) -> None:
    """Raise ValueError for what no backend can answer (checked before any I/O)."""
    if query.order_by not in ORDERABLE_COLUMNS:
        raise ValueError(f"cannot order readings by {query.order_by!r}")
    for value, upper in ((query.date_from, False), (query.date_to, True)):
        if value:
            date_bound(value, upper)
