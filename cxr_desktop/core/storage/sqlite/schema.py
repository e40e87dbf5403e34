"""The SQLite history's schema: versioned with ``PRAGMA user_version`` and the ordered list
``MIGRATIONS`` (never edit an old entry, append a new one).

The images live in ``reading_images`` (one row per reading, deleted with it) so that listing and
searching 100,000 readings never pages the large preview/heatmap blobs in.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from cxr_desktop.core.errors import NewerDatabaseError
from cxr_desktop.i18n import _

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


def _v2(cur: sqlite3.Cursor) -> None:
    """v2: what the result showed is kept with the reading (why it is not a chest X-ray, the
    per-reading cautions), and text search goes through a trigram index over a folded copy of
    the searchable fields (``search_text``; see ``storage.search_text``)."""
    cur.execute("ALTER TABLE readings ADD COLUMN ood_reason TEXT")
    cur.execute("ALTER TABLE readings ADD COLUMN cautions TEXT NOT NULL DEFAULT '[]'")
    cur.execute("ALTER TABLE readings ADD COLUMN search_text TEXT NOT NULL DEFAULT ''")
    cur.execute("UPDATE readings SET search_text = cxr_search_text(patient_id, patient_name, note)")
    cur.execute("CREATE INDEX readings_file_sha256 ON readings(file_sha256)")
    if not fts5_trigram_available(cur):  # an old SQLite: searching scans, which still works
        log.warning("history: SQLite has no FTS5 trigram tokenizer; text search will scan")
        return
    for statement in split_sql(SQL_V2_FTS):
        cur.execute(statement)


SQL_V2_FTS = """
CREATE VIRTUAL TABLE readings_fts USING fts5(
    search_text, content='readings', content_rowid='id', tokenize='trigram case_sensitive 1'
);
INSERT INTO readings_fts(readings_fts) VALUES ('rebuild');
CREATE TRIGGER readings_fts_insert AFTER INSERT ON readings BEGIN
    INSERT INTO readings_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER readings_fts_delete AFTER DELETE ON readings BEGIN
    INSERT INTO readings_fts(readings_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER readings_fts_update AFTER UPDATE OF search_text ON readings BEGIN
    INSERT INTO readings_fts(readings_fts, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO readings_fts(rowid, search_text) VALUES (new.id, new.search_text);
END;
"""


def fts5_trigram_available(cur: sqlite3.Cursor) -> bool:
    try:
        cur.execute("CREATE VIRTUAL TABLE temp.cxr_probe USING fts5(x, tokenize='trigram')")
        cur.execute("DROP TABLE temp.cxr_probe")
        return True
    except sqlite3.OperationalError:
        return False


def has_fts(conn: sqlite3.Connection | sqlite3.Cursor) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings_fts'"
    ).fetchone()
    return row is not None


def _v4_site_calibration(cur: sqlite3.Cursor) -> None:
    """Issue 12: site calibration profiles (``site_profiles``, never deleted: rolling back marks
    one), and which profile produced each new reading. Old readings are left as they are: NULL
    in both new columns means the model card's own calibration, as it was."""
    for statement in split_sql(SQL_SITE_PROFILES):
        cur.execute(statement)
    cur.execute("ALTER TABLE readings ADD COLUMN site_profile_id INTEGER")
    cur.execute("ALTER TABLE readings ADD COLUMN model_probabilities TEXT")


SQL_SITE_PROFILES = """
CREATE TABLE site_profiles (
    id INTEGER PRIMARY KEY,
    created_utc TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    temperature REAL NOT NULL CHECK (temperature > 0),
    offsets TEXT NOT NULL,
    uncertain_below REAL NOT NULL CHECK (uncertain_below >= 0 AND uncertain_below <= 1),
    n_readings INTEGER NOT NULL,
    signed_by TEXT NOT NULL CHECK (length(trim(signed_by)) > 0),
    fit TEXT NOT NULL DEFAULT '{}',
    rolled_back_utc TEXT,
    rolled_back_by TEXT
);
"""


def _v3_clinic_network(cur: sqlite3.Cursor) -> None:
    """Issue 15: every reading gets a key made once (``uid``, so that a reading sent twice is
    stored once) and a review ``version``; staff accounts; an append-only audit trail. Existing
    readings keep every field; they only gain a new uid and version 1."""
    from cxr_desktop.core.storage.sqlite.clinic import migrate_v5

    migrate_v5(cur)


#: Migration i brings the file from user_version i to i + 1: SQL text or a function of the
#: cursor, run inside one write transaction.
MIGRATIONS: list[str | Callable[[sqlite3.Cursor], None]] = [
    SQL_V1, _v2, _v3_clinic_network, _v4_site_calibration,
]
SCHEMA_VERSION = len(MIGRATIONS)

#: Columns of ``readings`` in the order the queries select them.
COLUMNS = (
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
    "ood_reason",
    "cautions",
    # issue 15
    "uid",
    "version",
    # issue 12: site calibration
    "site_profile_id",
    "model_probabilities",
)
#: Written with every row, never read back as a field (the folded text search looks in).
SEARCH_COLUMN = "search_text"
SELECT = ", ".join(f"r.{c}" for c in COLUMNS)


def split_sql(script: str) -> list[str]:
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


def migrate_step(cur: sqlite3.Cursor, target: int, path: Path) -> None:
    """Bring the file to ``target`` inside the caller's write transaction (BEGIN IMMEDIATE)."""
    # Re-read inside the write lock: another process may have migrated meanwhile.
    current = int(cur.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise NewerDatabaseError(
            _("The reading history was saved by a newer version of CXR Desktop. "
              "Please install the newer version to use it."),
            detail=f"{path}: user_version {current} > {SCHEMA_VERSION}",
        )
    if current >= target:
        return
    migration = MIGRATIONS[target - 1]
    if callable(migration):
        migration(cur)
    else:
        for statement in split_sql(migration):
            cur.execute(statement)
    cur.execute(f"PRAGMA user_version = {target}")
    log.info("history migrated to schema v%d", target)
