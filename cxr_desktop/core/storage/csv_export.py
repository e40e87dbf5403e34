"""CSV export of readings, for every backend, guarded against spreadsheet formula injection.

Columns: the stored fields in a fixed order, with one ``p_<label>`` column per class in place of
the probabilities (after ``label``). Written to a temporary file next to the target, flushed to
disk, then renamed, so a crash never leaves half a file under the user's name.
"""

from __future__ import annotations

import csv
import logging
import os
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cxr_desktop.core.types import Reading
from cxr_desktop.private_files import open_private

log = logging.getLogger("cxr_desktop.core.storage")

#: The fields before and after the per-class probability columns.
HEAD_FIELDS = (
    "id", "created_utc", "patient_id", "patient_name", "source_path", "file_sha256",
    "file_format", "width", "height", "label",
)
TAIL_FIELDS = (
    "uncertain", "out_of_distribution", "ood_score", "model_name", "model_version",
    "model_sha256", "inference_ms", "note", "confirmed_label", "reviewed_utc", "ood_reason",
    "cautions",
)


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


def csv_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (CSV injection): a leading
    ``'`` makes it text; the rest is written as it is."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


def _value(reading: Reading, field: str) -> Any:
    value = getattr(reading, field)
    if field in ("uncertain", "out_of_distribution"):
        return int(bool(value))
    if field == "cautions":
        return " ".join(value)
    return value


def header(labels: Iterable[str]) -> list[str]:
    return [*HEAD_FIELDS, *(f"p_{label}" for label in labels), *TAIL_FIELDS]


def write_readings_csv(target: Path | str, labels: list[str], readings: Iterable[Reading]) -> int:
    """Write ``readings`` to ``target`` atomically; returns the number of rows. OSError passes
    through (the caller turns it into a StorageError)."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    written = 0
    try:
        # utf-8 with BOM so spreadsheet programs show accented names correctly; 0600: patient data.
        with open_private(tmp, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header(labels))
            for reading in readings:
                line = [csv_cell(_value(reading, f)) for f in HEAD_FIELDS]
                line += [reading.probabilities.get(label, "") for label in labels]
                line += [csv_cell(_value(reading, f)) for f in TAIL_FIELDS]
                writer.writerow(line)
                written += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            try:
                tmp.unlink()
            except OSError:
                log.warning("could not remove a temporary export file")
    return written
