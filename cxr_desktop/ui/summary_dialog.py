"""SummaryDialog: the period summary (counts per finding, referred, not a chest X-ray, reviewed,
agreement, the referred readings) for two dates, saved as PDF or CSV or printed."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.i18n import _
from cxr_desktop.service.clinic import load_clinic
from cxr_desktop.service.summary import (
    PeriodSummary,
    count_rows,
    period_text,
    record_summary,
    referred_cells,
    summarize,
    summary_pages,
    write_summary_csv,
)
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.report_actions import ReportActions, ask_pdf_path, print_pages_with_dialog

log = logging.getLogger(__name__)


class SummaryDialog(QDialog):
    def __init__(self, ops: HistoryOps, reports: ReportActions, start_dir: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Period summary"))
        self.resize(720, 520)
        self._ops, self._reports, self._start_dir = ops, reports, start_dir
        self.summary: PeriodSummary | None = None
        layout = QVBoxLayout(self)
        dates = QHBoxLayout()
        today = QDate.currentDate()
        self.from_date = QDateEdit(QDate(today.year(), today.month(), 1), self)
        self.to_date = QDateEdit(today, self)
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self.refresh)
        dates.addWidget(QLabel(_("&From"), self))
        dates.addWidget(self.from_date)
        dates.addWidget(QLabel(_("&to"), self))
        dates.addWidget(self.to_date)
        dates.addStretch(1)
        layout.addLayout(dates)
        self.text = QPlainTextEdit(self)  # plain text: names and notes came from people
        self.text.setReadOnly(True)
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.pdf_button = QPushButton(_("Save as &PDF\u2026"), self)
        self.csv_button = QPushButton(_("Save as &CSV\u2026"), self)
        self.print_button = QPushButton(_("&Print\u2026"), self)
        for button in (self.pdf_button, self.csv_button, self.print_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
            button.setEnabled(False)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.csv_button.clicked.connect(self.save_csv)
        self.print_button.clicked.connect(self.print_summary)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def period(self):
        return self.from_date.date().toPython(), self.to_date.date().toPython()

    def refresh(self) -> None:
        first, last = self.period()
        for button in (self.pdf_button, self.csv_button, self.print_button):
            button.setEnabled(False)
        if last < first:
            self.text.setPlainText(_("The last day comes before the first day."))
            return
        self.text.setPlainText(_("Counting\u2026"))
        self._ops.long_read(lambda store: summarize(store, first, last), self._shown,
                            lambda exc: self.text.setPlainText(dialogs.error_text(exc)))

    def _shown(self, summary: PeriodSummary) -> None:
        if (summary.first_day, summary.last_day) != self.period():
            return  # the dates changed meanwhile; a newer answer follows
        self.summary = summary
        lines = [period_text(summary), ""]
        lines += [_("{label}: {value}").format(label=k, value=v) for k, v in count_rows(summary)]
        if summary.referred_rows:
            lines += ["", _("Referred readings ({count})").format(count=summary.referred)]
            lines += ["  ".join(c for c in referred_cells(r) if c) for r in summary.referred_rows]
        self.text.setPlainText("\n".join(lines))
        for button in (self.pdf_button, self.csv_button, self.print_button):
            button.setEnabled(True)

    def print_summary(self) -> None:
        if self.summary is not None and print_pages_with_dialog(self, self._pages()):
            self._recorded("printed")

    def _recorded(self, how: str) -> None:
        """Issue 15: the summary left the app, an export in the audit trail."""
        summary = self.summary
        self._reports.record(lambda store: record_summary(store, summary, how))

    def _pages(self) -> list:
        assert self.summary is not None
        return summary_pages(self.summary, load_clinic())

    def _name(self, suffix: str) -> str:
        first, last = self.period()
        return str(Path(self._start_dir or Path.home()) / f"cxr-summary-{first}-{last}.{suffix}")

    def save_pdf(self) -> None:
        if self.summary is None:
            return
        path = ask_pdf_path(self, _("Save the summary as PDF"), self._name("pdf"))
        if path and self._reports.write(path, self._pages(), _("Saved the summary to {file}.")):
            self._recorded("PDF")

    def save_csv(self) -> None:
        if self.summary is None:
            return
        path, _filter = QFileDialog.getSaveFileName(self, _("Save the summary as CSV"),
                                                    self._name("csv"), _("CSV files (*.csv)"))
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        try:
            write_summary_csv(path, self.summary, load_clinic())
        except OSError as exc:
            dialogs.show_error(self, _("Summary not saved"), _(
                "The CSV file could not be written ({reason}).").format(
                reason=exc.strerror or type(exc).__name__))
            return
        self._reports.status.emit(_("Saved the summary to {file}.").format(file=Path(path).name))
        self._recorded("CSV")
