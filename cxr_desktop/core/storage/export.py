"""CSV export of the history, guarded against spreadsheet formula injection."""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cxr_desktop.core.storage.schema import _COLUMNS, _SELECT
from cxr_desktop.core.storage.sqlite_errors import _storage_error
from cxr_desktop.private_files import open_private

log = logging.getLogger("cxr_desktop.core.storage")

#: CSV columns: the table's own, with one ``p_<label>`` column per class in place of the
#: JSON ``probabilities`` (inserted after ``label``).
_SPLIT = _COLUMNS.index("label") + 1
_CSV_HEAD = tuple(c for c in _COLUMNS[:_SPLIT] if c != "probabilities")
_CSV_TAIL = _COLUMNS[_SPLIT:]


#: A cell whose first visible character is one of these is run as a formula by spreadsheets
#: (OWASP "CSV injection"); U+2212 is the minus sign some of them accept for "-".
_FORMULA_START = frozenset("=+-@\u2212")
#: Cells starting with these are escaped whatever follows (OWASP: tab and carriage return).
_ESCAPED_FIRST = frozenset("\t\r")
#: Letters that show as nothing (Hangul fillers, the Braille blank): skipped like spaces.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _invisible(char: str) -> bool:
    """Spaces of any kind, line breaks, control and format characters (zero-width space and
    joiners, BOM, bidi marks, soft hyphen), combining marks, unassigned and private-use code
    points: what a spreadsheet may skip, or a person cannot see, before a ``=``."""
    return char.isspace() or unicodedata.category(char)[0] in "CZM" or char in _BLANK_LETTERS


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula: it starts with a tab or CR, or
    its first visible character (full-width and small forms folded by NFKC) is ``= + - @``."""
    if not text:
        return False
    if text[0] in _ESCAPED_FIRST:
        return True
    for char in text:
        if _invisible(char):
            continue
        folded = unicodedata.normalize("NFKC", char)[:1]
        return char in _FORMULA_START or folded in _FORMULA_START
    return False


def _csv_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (CSV injection): a leading
    ``'`` makes it text; the rest is written as it is."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


def _export_csv(
    conn: sqlite3.Connection, db_path: Path, target: Path, where: str, params: list[Any], order: str
) -> int:
    """Write the readings matching ``where`` (in ``order``) through ``conn``, the caller's own
    connection, in one read transaction (one consistent snapshot); returns the number of rows.
    Written to a temporary file, then renamed."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        conn.execute("BEGIN")
        labels: set[str] = set()
        for (probs,) in conn.execute(f"SELECT r.probabilities FROM readings r{where}", params):
            try:
                labels.update(str(k) for k in json.loads(probs))
            except (TypeError, ValueError):
                continue
        label_columns = sorted(labels)
        rows = conn.execute(f"SELECT {_SELECT} FROM readings r{where}{order}", params)
        written = _write_csv(tmp, target, label_columns, rows)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise _storage_error(exc, "export", db_path) from exc
    except OSError as exc:
        raise _storage_error(exc, "export", target) from exc
    finally:
        if tmp.exists():
            try:
                tmp.unlink()
            except OSError:
                log.warning("could not remove %s", tmp)
    return written


def _write_csv(tmp: Path, target: Path, labels: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    header = [*_CSV_HEAD, *(f"p_{label}" for label in labels), *_CSV_TAIL]
    written = 0
    # utf-8 with BOM so spreadsheet programs show accented names correctly; 0600: patient data.
    with open_private(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            values = dict(zip(_COLUMNS, row, strict=True))
            try:
                probs = json.loads(values["probabilities"])
            except (TypeError, ValueError):
                probs = {}
            line = [_csv_cell(values[c]) for c in _CSV_HEAD]
            line += [probs.get(label, "") for label in labels]
            for column in _CSV_TAIL:
                value = values[column]
                if column in ("uncertain", "out_of_distribution"):
                    value = int(bool(value))
                line.append(_csv_cell(value))
            writer.writerow(line)
            written += 1
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return written
