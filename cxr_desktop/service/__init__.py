"""Qt-free use cases: read a file into a reading, save it, read a folder, reopen a reading, and
the words a result is told in. The GUI, the CLI, the bench and the training's evaluation all go
through here; it imports only ``core`` (and the i18n and privacy helpers)."""

from __future__ import annotations

from cxr_desktop.service.reading import (
    Analysis,
    PatientFields,
    ReadingService,
    ReadOutcome,
    StoredReading,
)

__all__ = ["Analysis", "PatientFields", "ReadOutcome", "ReadingService", "StoredReading"]
