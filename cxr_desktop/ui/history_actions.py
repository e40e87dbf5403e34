"""HistoryActions: the history writes the main window starts (patient details, CSV export), run
on the background pool, with their dialogs and status messages."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from cxr_desktop.core.storage import History, ReadingQuery
from cxr_desktop.core.types import Reading
from cxr_desktop.ui import dialogs, pipeline
from cxr_desktop.ui.settings import AppSettings
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class HistoryActions(QObject):
    patientSaved = Signal(object)  # the updated Reading (same id)
    status = Signal(str)

    def __init__(self, history: History | None, runner: TaskRunner, settings: AppSettings,
                 window: QWidget, history_error: str | None = None) -> None:
        super().__init__(window)
        self.history = history
        self.runner = runner
        self.settings = settings
        self.window = window
        self.history_error = history_error

    def save_patient(self, reading_id: int, patient_id: str, patient_name: str) -> None:
        """Store new patient fields with a saved reading (one UPDATE; the id is kept)."""
        history = self.history
        if history is None:
            return
        pipeline.remember_sensitive(patient_id, patient_name)
        new_id, new_name = pipeline.clean(patient_id), pipeline.clean(patient_name)

        def done(updated: Reading) -> None:
            self.patientSaved.emit(updated)
            self.status.emit("Patient details saved.")

        def failed(exc: BaseException) -> None:
            log.warning("saving patient details failed: %s", type(exc).__name__)
            dialogs.show_error(self.window, "Patient details not saved", dialogs.error_text(exc))

        self.runner.submit(
            lambda: history.update_patient(reading_id, patient_id=new_id, patient_name=new_name),
            done, failed)

    def export_csv(self, query: ReadingQuery | None = None) -> None:
        """Ask where, then write the readings matching ``query`` (None: all) in the background."""
        history = self.history
        if history is None:
            dialogs.show_error(self.window, "Export",
                               self.history_error or "The history is not available.")
            return
        start = str(Path(self.settings.last_dir or Path.home()) / "cxr-history.csv")
        path, _ = QFileDialog.getSaveFileName(self.window, "Export the history as CSV", start,
                                              "CSV files (*.csv)")
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        self.status.emit("Exporting\u2026")
        self.runner.submit(
            lambda: history.export_csv(path, query),
            lambda n: self.status.emit(f"Exported {n} readings to {Path(path).name}."),
            lambda exc: dialogs.show_error(self.window, "Export failed", dialogs.error_text(exc)))
