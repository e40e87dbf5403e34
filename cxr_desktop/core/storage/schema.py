"""The history's schema: versioned with ``PRAGMA user_version`` and the ordered list
``MIGRATIONS`` (never edit an old entry, append a new one).

The images live in ``reading_images`` (one row per reading, deleted with it) so that listing and
searching 100,000 readings never pages the large preview/heatmap blobs in.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from cxr_desktop.core.errors import NewerDatabaseError

log = logging.getLogger("cxr_desktop.core.storage")

# ---------------------------------------------------------------------------------------------
# Each entry is one migration, applied in its own transaction; entry i brings the file from
# user_version i to i + 1. NEVER edit an entry that has shipped: append a new one.
# ---------------------------------------------------------------------------------------------

SQL_V1 = """
CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    created_utc TEXT NOT NULL,
    patient_id TEXT,
    patient_name TEXT,
    source_path TEXT,
    file_sha256 TEXT,
    file_format TEXT,
    width INTEGER,
    height INTEGER,
    probabilities TEXT NOT NULL,
    label TEXT NOT NULL,
    uncertain INTEGER NOT NULL,
    out_of_distribution INTEGER NOT NULL,
    ood_score REAL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    inference_ms REAL,
    note TEXT NOT NULL DEFAULT '',
    confirmed_label TEXT,
    reviewed_utc TEXT
);
CREATE TABLE reading_images (
    reading_id INTEGER PRIMARY KEY REFERENCES readings(id) ON DELETE CASCADE,
    thumbnail_png BLOB,
    preview_png BLOB,
    heatmap_png BLOB
);
CREATE INDEX readings_created_utc ON readings(created_utc);
CREATE INDEX readings_patient_id ON readings(patient_id);
CREATE INDEX readings_label ON readings(label, created_utc);
CREATE INDEX readings_reviewed ON readings((reviewed_utc IS NOT NULL), created_utc);
"""

MIGRATIONS: list[str] = [SQL_V1]
SCHEMA_VERSION = len(MIGRATIONS)

#: Columns of ``readings`` in the order the queries select them.
_COLUMNS = (
    "id",
    "created_utc",
    "patient_id",
    "patient_name",
    "source_path",
    "file_sha256",
    "file_format",
    "width",
    "height",
    "probabilities",
    "label",
    "uncertain",
    "out_of_distribution",
    "ood_score",
    "model_name",
    "model_version",
    "model_sha256",
    "inference_ms",
    "note",
    "confirmed_label",
    "reviewed_utc",
)
_SELECT = ", ".join(f"r.{c}" for c in _COLUMNS)


def _split_sql(script: str) -> list[str]:
    """A migration script -> its statements (``executescript`` would commit our transaction)."""
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        statements.append(buffer.strip())
    return statements


def _migrate_step(cur: sqlite3.Cursor, target: int, path: Path) -> None:
    """Bring the file to ``target`` inside the caller's write transaction (BEGIN IMMEDIATE)."""
    # Re-read inside the write lock: another process may have migrated meanwhile.
    current = int(cur.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise NewerDatabaseError(
            "The reading history was saved by a newer version of CXR Desktop. "
            "Please install the newer version to use it.",
            detail=f"{path}: user_version {current} > {SCHEMA_VERSION}",
        )
    if current >= target:
        return
    for statement in _split_sql(MIGRATIONS[target - 1]):
        cur.execute(statement)
    cur.execute(f"PRAGMA user_version = {target}")
    log.info("history migrated to schema v%d", target)
