"""HistoryView: search, filters and the paged table of stored readings, with review/delete."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from PySide6.QtCore import QDate, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.labels import display_label
from cxr_desktop.core.types import OOD_LABEL, Reading
from cxr_desktop.i18n import _, format_number, ngettext
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_model import (
    COL_DATE,
    COL_FINDING,
    COL_NAME,
    COL_NOTE,
    COL_PID,
    COL_THUMB,
    SORT_KEYS,
    THUMB_SIZE,
    HistoryModel,
)
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import plain_label
from cxr_desktop.ui.review_session import ReviewSession

log = logging.getLogger(__name__)


def local_day_bounds(day: QDate, end: bool) -> str:
    """A local calendar day -> the UTC ISO instant where it starts (or its last microsecond)."""
    start = datetime.combine(day.toPython(), time()).astimezone()
    moment = start + timedelta(days=1, microseconds=-1) if end else start
    return moment.isoformat()


class HistoryView(QWidget):
    openRequested = Signal(int)
    readingChanged = Signal(object)  # Reading after a review
    readingDeleted = Signal(int)
    exportRequested = Signal(object)  # ReadingQuery of the current filters

    def __init__(self, ops: HistoryOps, labels: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._labels = list(labels)
        self.model = HistoryModel(ops, parent=self)
        self.review_session = ReviewSession(ops, labels, self)
        self.review_session.reviewed.connect(self._reviewed)
        self._select_after_refresh: int | None = None
        self._build()
        self.model.totalChanged.connect(self._total_changed)
        self.model.refreshed.connect(self._refreshed)
        self.model.errorOccurred.connect(self._model_error)
        self._total_changed(self.model.total)

    # ---------------------------------------------------------------- layout
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        filters = QHBoxLayout()
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText(_("Search patient ID, name or note"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(220)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filters)
        self.search_edit.textChanged.connect(lambda _text: self._debounce.start())
        self.search_edit.returnPressed.connect(self.apply_filters)
        filters.addWidget(self.search_edit, 2)
        self.label_combo = QComboBox(self)
        self.label_combo.addItem(_("All findings"), None)
        for label in self._labels:
            self.label_combo.addItem(display_label(label), label)
        self.label_combo.addItem(display_label(OOD_LABEL), OOD_LABEL)
        self.label_combo.setToolTip(_("Show only readings with this AI finding"))
        filters.addWidget(self.label_combo)
        self.reviewed_combo = QComboBox(self)
        for text, value in ((_("Reviewed or not"), None), (_("Reviewed"), True),
                            (_("Not reviewed"), False)):
            self.reviewed_combo.addItem(text, value)
        filters.addWidget(self.reviewed_combo)
        self.from_check = QCheckBox(_("From"), self)
        self.from_date = QDateEdit(QDate.currentDate().addMonths(-1), self)
        # Translators: a date range, "From <date> to <date>".
        self.to_check = QCheckBox(_("to"), self)
        self.to_date = QDateEdit(QDate.currentDate(), self)
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.from_check.toggled.connect(self.from_date.setEnabled)
        self.to_check.toggled.connect(self.to_date.setEnabled)
        for widget in (self.from_check, self.from_date, self.to_check, self.to_date):
            filters.addWidget(widget)
        for signal in (self.label_combo.currentIndexChanged, self.reviewed_combo.currentIndexChanged,
                       self.from_check.toggled, self.to_check.toggled,
                       self.from_date.dateChanged, self.to_date.dateChanged):
            signal.connect(self.apply_filters)
        layout.addLayout(filters)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows: one PDF of their reports (issue 11); the rest acts on the first.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_SIZE + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NOTE, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        for column, width in ((COL_THUMB, THUMB_SIZE + 12), (COL_DATE, 140), (COL_PID, 110),
                              (COL_NAME, 160), (COL_FINDING, 210)):
            self.table.setColumnWidth(column, width)
        column, order = self.model.sort_column()
        header.setSortIndicator(column, order)
        self.table.setSortingEnabled(True)
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        layout.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.count_label = plain_label("", self)  # also shows storage error messages
        bottom.addWidget(self.count_label, 1)
        self.open_button = QPushButton(_("&Open"), self)
        self.open_button.setToolTip(_("Show the selected reading (Enter or double-click)"))
        self.review_button = QPushButton(_("&Review\u2026"), self)
        self.review_button.setToolTip(_("Write a note and confirm the finding"))
        self.delete_button = QPushButton(_("&Delete\u2026"), self)
        self.export_button = QPushButton(_("E&xport CSV\u2026"), self)
        self.export_button.setToolTip(_("Save the readings shown (with these filters) as a CSV file"))
        self.open_button.clicked.connect(self.open_selected)
        self.review_button.clicked.connect(self.review_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button.clicked.connect(lambda: self.exportRequested.emit(self.model.query))
        for button in (self.open_button, self.review_button, self.delete_button, self.export_button):
            bottom.addWidget(button)
        layout.addLayout(bottom)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.open_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.delete_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.setEnabled(self._ops.available)
        self._update_buttons()

    # --------------------------------------------------------------- filters
    def current_filters(self) -> dict:
        return {
            "text": self.search_edit.text().strip(),
            "label": self.label_combo.currentData(),
            "reviewed": self.reviewed_combo.currentData(),
            "date_from": local_day_bounds(self.from_date.date(), end=False)
            if self.from_check.isChecked() else None,
            "date_to": local_day_bounds(self.to_date.date(), end=True)
            if self.to_check.isChecked() else None,
        }

    def apply_filters(self) -> None:
        self._debounce.stop()
        self.model.set_filters(**self.current_filters())
        self._update_buttons()

    def refresh(self, select_id: int | None = None) -> None:
        """Reload in the background; then select ``select_id``."""
        self._select_after_refresh = select_id
        self.model.refresh()
        self._update_buttons()

    def _refreshed(self) -> None:
        if self._select_after_refresh is not None:
            self.select_reading(self._select_after_refresh)
            self._select_after_refresh = None
        self._update_buttons()

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    # ------------------------------------------------------------- selection
    def selected_reading(self) -> Reading | None:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return self.model.reading_at(rows[0]) if rows else None

    def selected_ids(self) -> list[int]:
        """The ids of the selected rows, in table order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        readings = (self.model.reading_at(row) for row in rows)
        return [r.id for r in readings if r is not None and r.id is not None]

    def select_reading(self, reading_id: int) -> bool:
        row = self.model.row_of(reading_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _update_buttons(self) -> None:
        has = self.selected_reading() is not None
        for button in (self.open_button, self.review_button, self.delete_button):
            button.setEnabled(has)
        self.export_button.setEnabled(self.model.total > 0)

    def _total_changed(self, total: int) -> None:
        if not self._ops.available:
            self.count_label.setText(_("The history is not available."))
            return
        self.count_label.setText(ngettext("{count} reading", "{count} readings", total).format(
            count=format_number(total)))
        self._update_buttons()

    def _model_error(self, message: str) -> None:
        self.count_label.setText(message)

    def _sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if SORT_KEYS.get(column) is None:  # not sortable: put the indicator back
            header = self.table.horizontalHeader()
            current, order = self.model.sort_column()
            header.blockSignals(True)
            header.setSortIndicator(current, order)
            header.blockSignals(False)

    # --------------------------------------------------------------- actions
    def _double_clicked(self, index: QModelIndex) -> None:
        reading = self.model.reading_at(index.row())
        if reading is not None and reading.id is not None:
            self.openRequested.emit(reading.id)

    def open_selected(self) -> None:
        reading = self.selected_reading()
        if reading is not None and reading.id is not None:
            self.openRequested.emit(reading.id)

    def review_selected(self) -> None:
        reading = self.selected_reading()
        if reading is not None and reading.id is not None:
            self.review(reading.id)

    def review(self, reading_id: int) -> None:
        """The Review dialog on this reading (fetched in the background); next/previous walk
        through the table's rows as loaded."""
        if not self._ops.available:
            return
        ids = [r.id for r in (self.model.reading_at(i) for i in range(self.model.rowCount()))
               if r is not None and r.id is not None]
        if reading_id not in ids:
            ids = [reading_id]
        self.review_session.start(ids, ids.index(reading_id))

    def _reviewed(self, updated: Reading) -> None:
        self.model.update_reading(updated)
        self.readingChanged.emit(updated)

    def _failed(self, title: str, exc: BaseException) -> None:
        log.warning("%s: %s", title, type(exc).__name__)
        dialogs.show_error(self, title, dialogs.error_text(exc))

    def delete_selected(self) -> None:
        reading = self.selected_reading()
        if reading is None or reading.id is None or not self._ops.available:
            return
        if reading.patient_id:
            question = _("Delete reading #{id} of patient {patient} from the history?\n"
                         "This cannot be undone.").format(id=reading.id, patient=reading.patient_id)
        else:
            question = _("Delete reading #{id} from the history?\nThis cannot be undone.").format(
                id=reading.id)
        if not dialogs.confirm(self, _("Delete reading"), question):
            return
        reading_id = reading.id
        self._ops.write(lambda store: store.delete(reading_id),
                        lambda _deleted: self._deleted(reading_id),
                        lambda exc: self._failed(_("Reading not deleted"), exc))

    def _deleted(self, reading_id: int) -> None:
        self.refresh()
        self.readingDeleted.emit(reading_id)
