"""Text search as people expect it: case and accents do not matter ("jose" finds "JOSÉ").

Every backend indexes ``search_text(patient_id, patient_name, note)`` and looks for
``fold(query)`` in it, so the SQLite index and a server's index give the same answers.
"""

from __future__ import annotations

import unicodedata

#: Between the fields, so that a search never matches across two of them.
FIELD_SEPARATOR = "\x1f"
#: Shorter queries cannot use a trigram index; they are answered by a scan.
MIN_INDEXED_LENGTH = 3


def fold(text: str | None) -> str:
    """Unicode case folding with the accents removed: 'Ærø Straße JOSÉ' -> 'ærø strasse jose'."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(patient_id: str | None, patient_name: str | None, note: str | None) -> str:
    """The folded text a reading is found by."""
    return FIELD_SEPARATOR.join(fold(v) for v in (patient_id, patient_name, note))
