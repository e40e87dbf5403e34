"""Issue 11 in the SQLite history: the DICOM facts of a reading (table ``reading_dicom``, schema
v3), finding an image read before (same file or same SOP Instance UID) and the worklist of
readings without a confirmed finding."""

from __future__ import annotations

import sqlite3
from typing import Any

from cxr_desktop.core.storage.sqlite.rows import row_to_reading
from cxr_desktop.core.storage.sqlite.schema import COLUMNS, SELECT
from cxr_desktop.core.types import DICOM_FACT_FIELDS, DicomFacts, Reading

SQL_V3 = """
CREATE TABLE reading_dicom (
    reading_id INTEGER PRIMARY KEY REFERENCES readings(id) ON DELETE CASCADE,
    patient_age TEXT,
    patient_sex TEXT,
    patient_birth_date TEXT,
    study_date TEXT,
    study_instance_uid TEXT,
    series_instance_uid TEXT,
    sop_instance_uid TEXT,
    institution TEXT,
    equipment_manufacturer TEXT,
    equipment_model TEXT,
    view_position TEXT
);
CREATE INDEX reading_dicom_sop_instance_uid ON reading_dicom(sop_instance_uid);
CREATE INDEX readings_unconfirmed ON readings(created_utc) WHERE confirmed_label IS NULL;
"""

_FACTS_SELECT = ", ".join(f"d.{c}" for c in DICOM_FACT_FIELDS)
_LIST_SELECT = (f"SELECT {SELECT}, i.thumbnail_png FROM readings r"
                " LEFT JOIN reading_images i ON i.reading_id = r.id")
#: Referred (uncertain) first, then 'not a chest X-ray', then the rest; oldest first in each.
_REVIEW_ORDER = (" ORDER BY CASE WHEN r.out_of_distribution THEN 1 WHEN r.uncertain THEN 0"
                 " ELSE 2 END, r.created_utc ASC, r.id ASC")


def insert_facts(cur: sqlite3.Cursor, reading_id: int, facts: DicomFacts | None) -> None:
    if facts is None:
        return
    cur.execute(
        f"INSERT INTO reading_dicom (reading_id, {', '.join(DICOM_FACT_FIELDS)})"
        f" VALUES (?, {', '.join('?' * len(DICOM_FACT_FIELDS))})",
        (int(reading_id), *(getattr(facts, name) for name in DICOM_FACT_FIELDS)),
    )


def load_facts(conn: sqlite3.Connection, reading_id: int) -> DicomFacts | None:
    row = conn.execute(f"SELECT {_FACTS_SELECT} FROM reading_dicom d WHERE d.reading_id = ?",
                       (int(reading_id),)).fetchone()
    if row is None:
        return None
    return DicomFacts(**{name: _text(v) for name, v in zip(DICOM_FACT_FIELDS, row, strict=True)})


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _listed(conn: sqlite3.Connection, statement: str, params: list[Any]) -> list[Reading]:
    n = len(COLUMNS)
    return [row_to_reading(row[:n], (row[n], None, None)) for row in conn.execute(statement, params)]


def find_same_image(conn: sqlite3.Connection, file_sha256: str | None,
                    sop_instance_uid: str | None) -> list[Reading]:
    clauses, params = [], []
    if file_sha256:
        clauses.append("r.file_sha256 = ?")
        params.append(file_sha256)
    if sop_instance_uid:
        clauses.append("r.id IN (SELECT reading_id FROM reading_dicom WHERE sop_instance_uid = ?)")
        params.append(sop_instance_uid)
    if not clauses:
        return []
    where = " WHERE " + " OR ".join(clauses)
    return _listed(conn, f"{_LIST_SELECT}{where} ORDER BY r.created_utc DESC, r.id DESC", params)


def to_review(conn: sqlite3.Connection, limit: int, offset: int) -> list[Reading]:
    statement = f"{_LIST_SELECT} WHERE r.confirmed_label IS NULL{_REVIEW_ORDER} LIMIT ? OFFSET ?"
    return _listed(conn, statement, [max(0, int(limit)), max(0, int(offset))])


def count_to_review(conn: sqlite3.Connection) -> int:
    return int(conn.execute(
        "SELECT COUNT(*) FROM readings WHERE confirmed_label IS NULL").fetchone()[0])
