"""HistoryActions: the history work the main window starts (patient details, CSV export), run
through HistoryOps, with their dialogs and status messages."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from cxr_desktop.core.patient import clean, stored_name
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _, ngettext
from cxr_desktop.privacy import describe_file, remember_sensitive
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.settings import AppSettings

log = logging.getLogger(__name__)


class HistoryActions(QObject):
    patientSaved = Signal(object)  # the updated Reading (same id)
    status = Signal(str)

    def __init__(self, ops: HistoryOps, settings: AppSettings, window: QWidget,
                 history_error: str | None = None) -> None:
        super().__init__(window)
        self.ops = ops
        self.settings = settings
        self.window = window
        self.history_error = history_error

    def save_patient(self, reading_id: int, patient_id: str, patient_name: str) -> None:
        """Store new patient fields with a saved reading (one UPDATE; the id is kept)."""
        if not self.ops.available:
            return
        remember_sensitive(patient_id, patient_name)
        new_id, new_name = clean(patient_id), stored_name(patient_name)

        def done(updated: Reading) -> None:
            self.patientSaved.emit(updated)
            self.status.emit(_("Patient details saved."))

        def failed(exc: BaseException) -> None:
            log.warning("saving patient details failed: %s", type(exc).__name__)
            dialogs.show_error(self.window, _("Patient details not saved"), dialogs.error_text(exc))

        self.ops.write(
            lambda store: store.update_patient(reading_id, patient_id=new_id, patient_name=new_name),
            done, failed)

    def export_csv(self, query: ReadingQuery | None = None) -> None:
        """Ask where, then write the readings matching ``query`` (None: all) in the background."""
        if not self.ops.available:
            dialogs.show_error(self.window, _("Export"),
                               self.history_error or _("The history is not available."))
            return
        start = str(Path(self.settings.last_dir or Path.home()) / "cxr-history.csv")
        path, _filter = QFileDialog.getSaveFileName(
            self.window, _("Export the history as CSV"), start, _("CSV files (*.csv)"))
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        describe_file(path)  # the target's name never reaches a log line
        self.status.emit(_("Exporting\u2026"))
        name = Path(path).name
        self.ops.long_read(
            lambda store: store.export_csv(path, query),
            lambda n: self.status.emit(ngettext("Exported {count} reading to {file}.",
                                                "Exported {count} readings to {file}.",
                                                n).format(count=n, file=name)),
            lambda exc: dialogs.show_error(self.window, _("Export failed"), dialogs.error_text(exc)))
