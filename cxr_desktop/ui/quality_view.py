"""QualityView: the supervisor's view of how the model does at this clinic, for a period and the
model in use: the figures, the AI-vs-clinician table, the reliability diagram and the monthly
trends against the expected band. The figures are read through HistoryOps (a long read)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.labels import display_label
from cxr_desktop.i18n import N_, _, format_number
from cxr_desktop.private_files import write_private
from cxr_desktop.service.clinic_quality import ClinicQuality, ModelInUse, clinic_quality
from cxr_desktop.service.quality import QualityReport
from cxr_desktop.service.quality_wording import check_sentence, drift_headline, percent, share
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.charts import ChartWidget, charts_pdf, charts_png
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import plain_label
from cxr_desktop.ui.quality_charts import reliability_chart, trend_charts

log = logging.getLogger(__name__)

PERIODS = (N_("Last 30 days"), N_("Last 3 months"), N_("Last 12 months"), N_("Everything"),
           N_("Chosen dates"))
DAYS = (30, 91, 365, None, None)


def _table(parent: QWidget, columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))


class QualityView(QDialog):
    loaded = Signal(object)  # ClinicQuality (tests wait for it)

    def __init__(self, ops: HistoryOps, model: ModelInUse, open_calibration: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self.model = ops, model
        self.result: ClinicQuality | None = None
        self.setObjectName("quality_view")
        self.setWindowTitle(_("Quality at this clinic"))
        self.resize(980, 680)
        layout = QVBoxLayout(self)
        layout.addLayout(self._period_row())
        self.headline = plain_label("", self)
        self.headline.setWordWrap(True)
        self.site = plain_label("", self)
        self.site.setWordWrap(True)
        layout.addWidget(self.headline)
        layout.addWidget(self.site)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        self._build_tabs()
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("&Save charts\u2026"), self)
        self.save_button.clicked.connect(self.save_charts)
        calibration = QPushButton(_("Site &calibration\u2026"), self)
        calibration.clicked.connect(open_calibration)
        close = QPushButton(_("Close"), self)
        close.clicked.connect(self.accept)
        buttons.addWidget(self.save_button)
        buttons.addWidget(calibration)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.refresh()

    # -- building -------------------------------------------------------------------------------

    def _period_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Period:"), self))
        self.period = QComboBox(self)
        for name in PERIODS:
            self.period.addItem(_(name))
        self.period.setCurrentIndex(3)
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30), self)
        self.date_to = QDateEdit(today, self)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.all_models = QCheckBox(_("All model versions"), self)
        self.all_models.setToolTip(_("Include readings made by earlier versions of the AI model"))
        refresh = QPushButton(_("&Refresh"), self)
        refresh.clicked.connect(self.refresh)
        self.period.currentIndexChanged.connect(self._period_changed)
        for widget in (self.period, QLabel(_("from"), self), self.date_from, QLabel(_("to"), self),
                       self.date_to, self.all_models, refresh):
            row.addWidget(widget)
        row.addStretch(1)
        self._period_changed(self.period.currentIndex())
        return row

    def _build_tabs(self) -> None:
        summary = QWidget(self)
        box = QVBoxLayout(summary)
        self.figures = _table(summary, [_("Figure"), _("Value (95% interval)")])
        box.addWidget(self.figures, 3)
        self.checks = plain_label("", summary)
        self.checks.setWordWrap(True)
        self.checks.setAlignment(Qt.AlignmentFlag.AlignTop)
        box.addWidget(self.checks, 1)
        self.tabs.addTab(summary, _("Summary"))
        agreement = QWidget(self)
        box = QVBoxLayout(agreement)
        box.addWidget(plain_label(_("Rows: the clinician's confirmed finding. Columns: the AI's "
                                    "answer."), agreement))
        self.confusion = QTableWidget(0, 0, agreement)
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        box.addWidget(self.confusion, 1)
        self.per_class = _table(agreement, [_("Finding"), _("Sensitivity"), _("PPV")])
        box.addWidget(self.per_class, 1)
        self.tabs.addTab(agreement, _("AI and clinician"))
        self.reliability = ChartWidget(None, self)
        self.tabs.addTab(self.reliability, _("Reliability"))
        trends = QWidget(self)
        grid = QGridLayout(trends)
        self.trends = [ChartWidget(None, trends) for _i in range(4)]
        for i, chart in enumerate(self.trends):
            grid.addWidget(chart, i // 2, i % 2)
        self.tabs.addTab(trends, _("Month by month"))

    def _period_changed(self, index: int) -> None:
        custom = index == len(PERIODS) - 1
        self.date_from.setEnabled(custom)
        self.date_to.setEnabled(custom)

    def period_bounds(self) -> tuple[str | None, str | None]:
        index = self.period.currentIndex()
        if index == len(PERIODS) - 1:
            return (self.date_from.date().toString("yyyy-MM-dd"),
                    self.date_to.date().toString("yyyy-MM-dd"))
        days = DAYS[index]
        if days is None:
            return None, None
        return (date.today() - timedelta(days=days)).isoformat(), None

    # -- data -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        start, end = self.period_bounds()
        every = self.all_models.isChecked()
        self.headline.setText(_("Reading the history\u2026"))
        model = self.model
        self.ops.long_read(lambda store: clinic_quality(store, model, start, end, every),
                           self.show_result,
                           lambda exc: self.headline.setText(dialogs.error_text(exc)))

    def show_result(self, result: ClinicQuality) -> None:
        self.result = result
        r = result.report
        self.headline.setText(drift_headline(r.drift))
        self.site.setText(result.state.message() or _("No site calibration: readings get the "
                                                      "model's own calibration."))
        self._show_figures(r)
        self._show_agreement(r)
        self.reliability.set_data(reliability_chart(r))
        for widget, data in zip(self.trends, trend_charts(r)):
            widget.set_data(data)
        self.loaded.emit(result)

    def _show_figures(self, r: QualityReport) -> None:
        mean = r.ood_score_mean
        _fill(self.figures, [
            [_("Readings"), format_number(r.n)],
            [_("Referred as uncertain"), share(r.referred)],
            [_("Not a chest X-ray"), share(r.not_cxr)],
            [_("Reviewed"), share(r.reviewed)],
            [_("Confirmed finding"), share(r.confirmed)],
            [_("AI and clinician agree"), share(r.agreement)],
            [_("Correct among accepted readings"), share(r.accepted_correct)],
            [_("Confirmed as another finding"), format_number(r.other_confirmed)],
            [_("Calibration error (ECE)"), percent(r.ece)],
            [_("Mean out-of-distribution score"),
             "\u2014" if mean is None else _("{mean} ({low} to {high})").format(
                 mean=format_number(mean[0], 2), low=format_number(mean[1], 2),
                 high=format_number(mean[2], 2))],
        ])
        lines = [check_sentence(c) for c in (r.drift.checks if r.drift else ())]
        self.checks.setText("\n".join(lines))

    def _show_agreement(self, r: QualityReport) -> None:
        self.confusion.setRowCount(len(r.truth_rows))
        self.confusion.setColumnCount(len(r.ai_columns))
        self.confusion.setHorizontalHeaderLabels([display_label(c) for c in r.ai_columns])
        self.confusion.setVerticalHeaderLabels([display_label(t) for t in r.truth_rows])
        for i, row in enumerate(r.confusion):
            for j, count in enumerate(row):
                item = QTableWidgetItem(format_number(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.confusion.setItem(i, j, item)
        self.confusion.resizeColumnsToContents()
        _fill(self.per_class, [[display_label(c.label), share(c.sensitivity), share(c.ppv)]
                               for c in r.per_class])

    # -- saving ---------------------------------------------------------------------------------

    def chart_data(self) -> list:
        if self.result is None:
            return []
        return [reliability_chart(self.result.report), *trend_charts(self.result.report)]

    def save_charts(self, path: str | None = None) -> None:
        charts = self.chart_data()
        if not charts:
            return
        if path is None:
            path, _chosen = QFileDialog.getSaveFileName(
                self, _("Save the charts"), str(Path.home() / "cxr-quality.pdf"),
                _("PDF document (*.pdf);;PNG image (*.png)"))
            if not path:
                return
        if not path.lower().endswith((".pdf", ".png")):
            path += ".pdf"
        try:
            data = (charts_png(charts) if path.lower().endswith(".png")
                    else charts_pdf(charts, _("Quality at this clinic")))
            write_private(path, data)
        except OSError as exc:
            log.warning("charts not saved: %s", type(exc).__name__)
            dialogs.show_error(self, _("Charts not saved"),
                               _("The charts could not be saved ({reason}).").format(
                                   reason=exc.strerror or type(exc).__name__))
