"""Issue 11 on the clinic server, the twin of ``sqlite/dicom_facts.py`` with the same answers:
the DICOM facts of a reading (table ``reading_dicom``, made by ``schema.V5_DICOM_FACTS``),
finding an image read before (same file or same SOP Instance UID, whichever PC read it) and the
worklist of readings without a confirmed finding.

The facts are written once, with the reading, and never changed (a stored reading is never
rewritten); they go when their reading is deleted (ON DELETE CASCADE). So the PCs' role may
only SELECT and INSERT them (``schema.GRANTS``).
"""

from __future__ import annotations

from typing import Any

from cxr_desktop.core.storage.postgresql.rows import SELECT, row_to_reading, text
from cxr_desktop.core.types import DICOM_FACT_FIELDS, DicomFacts, Reading

_FACTS_SELECT = ", ".join(f"d.{c}" for c in DICOM_FACT_FIELDS)
_LIST_SELECT = (f"SELECT {SELECT}, i.thumbnail_png FROM readings r"
                " LEFT JOIN reading_images i ON i.reading_id = r.id")
#: As SQLite: referred (uncertain) first, then 'not a chest X-ray', then the rest; oldest
#: first in each (a reading both uncertain and not a chest X-ray counts as not a chest X-ray).
_REVIEW_ORDER = (" ORDER BY CASE WHEN r.out_of_distribution THEN 1 WHEN r.uncertain THEN 0"
                 " ELSE 2 END, r.created_utc ASC, r.id ASC")


def insert_facts(cur: Any, reading_id: int, facts: DicomFacts | None) -> None:
    if facts is None:
        return
    cur.execute(
        f"INSERT INTO reading_dicom (reading_id, {', '.join(DICOM_FACT_FIELDS)})"
        f" VALUES (%s, {', '.join(['%s'] * len(DICOM_FACT_FIELDS))})",
        (int(reading_id), *(text(getattr(facts, name)) for name in DICOM_FACT_FIELDS)))


def load_facts(cur: Any, reading_id: int) -> DicomFacts | None:
    cur.execute(f"SELECT {_FACTS_SELECT} FROM reading_dicom d WHERE d.reading_id = %s",
                (int(reading_id),))
    row = cur.fetchone()
    if row is None:
        return None
    return DicomFacts(**{name: _text(v) for name, v in zip(DICOM_FACT_FIELDS, row, strict=True)})


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _listed(cur: Any, statement: str, params: list[Any]) -> list[Reading]:
    cur.execute(statement, params)
    return [row_to_reading(r[:-1], (r[-1], None, None)) for r in cur.fetchall()]


def find_same_image(cur: Any, file_sha256: str | None,
                    sop_instance_uid: str | None) -> list[Reading]:
    clauses, params = [], []
    if file_sha256:
        clauses.append("r.file_sha256 = %s")
        params.append(text(file_sha256))
    if sop_instance_uid:
        clauses.append("r.id IN (SELECT reading_id FROM reading_dicom WHERE sop_instance_uid = %s)")
        params.append(text(sop_instance_uid))
    if not clauses:
        return []
    where = " WHERE " + " OR ".join(clauses)
    return _listed(cur, f"{_LIST_SELECT}{where} ORDER BY r.created_utc DESC, r.id DESC", params)


def to_review(cur: Any, limit: int, offset: int) -> list[Reading]:
    statement = f"{_LIST_SELECT} WHERE r.confirmed_label IS NULL{_REVIEW_ORDER} LIMIT %s OFFSET %s"
    return _listed(cur, statement, [max(0, int(limit)), max(0, int(offset))])


def count_to_review(cur: Any) -> int:
    cur.execute("SELECT COUNT(*) FROM readings WHERE confirmed_label IS NULL")
    return int(cur.fetchone()[0])
