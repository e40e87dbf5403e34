"""The one rule for patient fields: stored stripped (empty means unknown), names as people write
them. A DICOM person name ``Family^Given^Middle^Prefix^Suffix`` is stored as "Family, Given
Middle"; what a person typed is stored as typed. Readings saved by older versions may hold the
DICOM form; ``shown_name`` shows those the same way, without rewriting them.
"""

from __future__ import annotations


def clean(value: str | None) -> str | None:
    """A patient field as stored: stripped; empty means unknown (None)."""
    value = (value or "").strip()
    return value or None


def person_name(dicom_name: str | None) -> str:
    """A DICOM person name as people write it ("Doe^Jane" -> "Doe, Jane"); other text as is."""
    text = (dicom_name or "").strip()
    if "^" not in text:
        return text
    parts = [p.strip() for p in text.split("=")[0].split("^")]
    family, given = parts[0], " ".join(p for p in parts[1:3] if p)
    return ", ".join(p for p in (family, given) if p)


def stored_name(value: str | None) -> str | None:
    """What the history stores for a patient name from a file or a person."""
    return clean(person_name(value))


def shown_name(stored: str | None) -> str:
    """A stored name as every screen, report and listing shows it."""
    return person_name(stored)
