"""CSV export of the history, guarded against spreadsheet formula injection."""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cxr_desktop.core.storage.schema import _COLUMNS, _SELECT
from cxr_desktop.core.storage.sqlite_errors import _storage_error

log = logging.getLogger("cxr_desktop.core.storage")

#: CSV columns: the table's own, with one ``p_<label>`` column per class in place of the
#: JSON ``probabilities`` (inserted after ``label``).
_SPLIT = _COLUMNS.index("label") + 1
_CSV_HEAD = tuple(c for c in _COLUMNS[:_SPLIT] if c != "probabilities")
_CSV_TAIL = _COLUMNS[_SPLIT:]


def _csv_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
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
    # utf-8 with BOM so spreadsheet programs show accented names correctly.
    with open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
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
