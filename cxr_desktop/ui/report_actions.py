"""ReportActions: reports from the window. File > Print... and File > Save report as PDF... for
the reading on screen (or the history rows selected: one PDF, one page each), the period
summary and the clinic details printed on every page. Readings are fetched through HistoryOps;
the pages are drawn on the GUI thread (Qt's painter, ~0.1 s a page)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _, ngettext
from cxr_desktop.service.clinic import load_clinic
from cxr_desktop.service.report import ReportPage, build_report, record_reports
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.settings import AppSettings

log = logging.getLogger(__name__)

MAX_READINGS = 500  # in one PDF


def ask_pdf_path(parent: QWidget, title: str, start: str) -> str:
    path, _filter = QFileDialog.getSaveFileName(parent, title, start, _("PDF files (*.pdf)"))
    if path and not path.lower().endswith(".pdf"):
        path += ".pdf"
    return path


class ReportActions(QObject):
    status = Signal(str)
    saved = Signal(str)  # the path of a PDF just written

    def __init__(self, ops: HistoryOps, settings: AppSettings, window: QWidget) -> None:
        super().__init__(window)
        self.ops = ops
        self.settings = settings
        self.window = window

    # -- readings -> pages ------------------------------------------------------------------

    def _fetch(self, ids: list[int], then: Callable[[list[ReportPage], list[Reading]], None]) -> None:
        if not self.ops.available or not ids:
            dialogs.show_error(self.window, _("No report"),
                               _("Open or select a reading saved in the history first."))
            return
        ids = ids[:MAX_READINGS]

        def work(store) -> list[Reading]:
            readings = [store.get(i) for i in ids]
            if any(r is None for r in readings):
                raise StorageError(_("This reading is no longer in the history."))
            return readings  # type: ignore[return-value]

        def done(readings: list[Reading]) -> None:
            clinic = load_clinic()
            then([build_report(r, clinic) for r in readings], readings)

        self.ops.long_read(work, done, lambda exc: dialogs.show_error(
            self.window, _("No report"), dialogs.error_text(exc)))

    def save_pdf(self, ids: list[int]) -> None:
        """Ask where, then write the reports of ``ids`` as one PDF."""
        self._fetch(ids, self._save_pages)

    def print_reports(self, ids: list[int]) -> None:
        """The system's print dialog, then the reports of ``ids``."""
        self._fetch(ids, self._print_pages)

    def _save_pages(self, pages: list[ReportPage], readings: list[Reading]) -> None:
        name = f"cxr-report-{pages[0].reading_id}.pdf" if len(pages) == 1 else "cxr-reports.pdf"
        start = str(Path(self.settings.last_dir or Path.home()) / name)
        path = ask_pdf_path(self.window, _("Save the report as PDF"), start)
        if path and self.write(path, pages, ngettext("Saved the report to {file}.",
                                                     "Saved {count} reports to {file}.",
                                                     len(pages))):
            self.record(lambda store: record_reports(store, readings, "PDF"))

    def write(self, path: str, pages: list, done_text: str) -> bool:
        from cxr_desktop.ui.report_pdf import write_pdf

        try:
            write_pdf(path, pages, _("Chest X-ray: AI second opinion"))
        except OSError as exc:
            log.warning("report not written: %s", type(exc).__name__)
            dialogs.show_error(self.window, _("Report not saved"), _(
                "The PDF file could not be written ({reason}).").format(
                reason=exc.strerror or type(exc).__name__))
            return False
        self.status.emit(done_text.format(file=Path(path).name, count=len(pages)))
        self.saved.emit(path)
        return True

    def _print_pages(self, pages: list, readings: list[Reading]) -> None:
        if print_pages_with_dialog(self.window, pages):
            self.record(lambda store: record_reports(store, readings, "printed"))

    def record(self, work: Callable[[object], None]) -> None:
        """Issue 15: what left the app goes into the audit trail (on the write lane)."""
        self.ops.write(work, None, lambda exc: log.warning("report not recorded in the audit "
                                                           "trail: %s", type(exc).__name__))


def print_pages_with_dialog(parent: QWidget, pages: list) -> bool:
    """QPrintDialog, then the pages on the chosen printer; False when cancelled."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from cxr_desktop.ui.report_pdf import print_pages

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(_("Print the report"))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    print_pages(printer, pages)
    return True
