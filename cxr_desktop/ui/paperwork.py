"""Paperwork: issue 11's part of the main window, wired in one place. Reports (File > Print...,
File > Save report as PDF..., History > Reports of the selected rows), the period summary, the
clinic details, X-ray media import, and the "To review" worklist dock beside the history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget

from cxr_desktop.i18n import _
from cxr_desktop.ui.clinic_dialog import ClinicDialog
from cxr_desktop.ui.duplicate_check import DuplicateCheck
from cxr_desktop.ui.report_actions import ReportActions
from cxr_desktop.ui.summary_dialog import SummaryDialog
from cxr_desktop.ui.watched_folder import WatchedFolder
from cxr_desktop.ui.worklist_view import WorklistView

if TYPE_CHECKING:
    from cxr_desktop.ui.main_window import MainWindow


class Paperwork(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.reports = ReportActions(window.ops, window.settings, window)
        self.worklist = WorklistView(window.ops, window)
        dock = QDockWidget(_("To review"), window)
        dock.setObjectName("worklist_dock")
        dock.setWidget(self.worklist)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        window.tabifyDockWidget(window.history_dock, dock)
        window.history_dock.raise_()
        self.worklist_dock = dock
        self.import_dialog = None  # the open ImportDialog, if any
        self._wire()
        window.controller.before_predict = DuplicateCheck(window)
        self.watched_folder = WatchedFolder(window)
        self.worklist.refresh()

    def _wire(self) -> None:
        w, a, hv = self.window, self.window.commands, self.window.history_view
        a.print_report.triggered.connect(lambda: self.reports.print_reports(self.current_ids()))
        a.save_report.triggered.connect(lambda: self.reports.save_pdf(self.current_ids()))
        a.report_selected.triggered.connect(lambda: self.reports.save_pdf(hv.selected_ids()))
        a.summary.triggered.connect(self.show_summary)
        a.clinic.triggered.connect(lambda: ClinicDialog(w).exec())
        a.worklist.triggered.connect(self.show_worklist)
        a.import_media.triggered.connect(self.import_media)
        self.reports.status.connect(lambda text: w.statusBar().showMessage(text, 10000))
        hv.review_session.status.connect(lambda text: w.statusBar().showMessage(text, 8000))
        for signal in (hv.model.refreshed, hv.readingChanged, hv.readingDeleted):
            signal.connect(lambda *_args: self.worklist.refresh())
        self.worklist.reviewRequested.connect(hv.review_session.start)
        self.worklist.countChanged.connect(lambda n: self.worklist_dock.setWindowTitle(
            _("To review ({count})").format(count=n)))
        hv.table.selectionModel().selectionChanged.connect(self._update_review_action)

    def current_ids(self) -> list[int]:
        reading = self.window.current_reading
        return [reading.id] if reading is not None and reading.id is not None else []

    def _update_review_action(self, *_args: object) -> None:
        self.window.commands.review.setEnabled(
            bool(self.window.history_view.selected_ids() or self.current_ids()))

    def review_selected(self) -> None:
        """Ctrl+R: the worklist's selected row when it has the focus, else the history's
        selected row, else the reading on screen."""
        hv = self.window.history_view
        if self.worklist.table.hasFocus() and self.worklist.selected_id() is not None:
            self.worklist.review_selected()
            return
        selected = hv.selected_ids()
        target = selected[0] if selected else (self.current_ids() or [None])[0]
        if target is not None:
            hv.review(target)

    def show_worklist(self) -> None:
        self.worklist_dock.show()
        self.worklist_dock.raise_()
        self.worklist.table.setFocus()
        self.worklist.refresh()

    def show_summary(self) -> None:
        SummaryDialog(self.window.ops, self.reports, self.window.settings.last_dir,
                      self.window).exec()

    def import_media(self) -> None:
        from cxr_desktop.ui.import_dialog import open_import

        open_import(self.window)
