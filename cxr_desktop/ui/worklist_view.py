"""WorklistView: "To review", the readings without a confirmed finding, referred (uncertain)
first, then 'not a chest X-ray', then the rest, oldest first in each. Enter (or a double-click)
opens the Review dialog on that row; next/previous there walk down this list."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.patient import shown_name
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import N_, _, ngettext
from cxr_desktop.service.wording import ResultSummary, one_line
from cxr_desktop.ui.history_model import THUMB_SIZE, local_time
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import plain_label

LIMIT = 1000
HEADERS = ("", N_("Why"), N_("Date"), N_("Patient ID"), N_("Name"), N_("AI result"))


def why_text(reading: Reading) -> str:
    if reading.out_of_distribution:
        return _("Not a chest X-ray")
    if reading.uncertain:
        return _("Referred")
    return _("Not confirmed yet")


class WorklistView(QWidget):
    reviewRequested = Signal(object, int)  # reading ids in order, index to start at
    countChanged = Signal(int)

    def __init__(self, ops: HistoryOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.readings: list[Reading] = []
        self.total = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels([_(h) if h else "" for h in HEADERS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_SIZE + 6)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((THUMB_SIZE + 12, 130, 140, 110, 160)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda index: self.review_row(index.row()))
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, self.review_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        self.count_label = plain_label("", self)
        bottom.addWidget(self.count_label, 1)
        self.review_button = QPushButton(_("Start &reviewing"), self)
        self.review_button.setToolTip(_("Review the selected reading, then the next ones "
                                        "(Enter; in the dialog PgDown, Ctrl+Return)"))
        self.review_button.clicked.connect(self.review_selected)
        bottom.addWidget(self.review_button)
        layout.addLayout(bottom)
        self.setEnabled(ops.available)

    def refresh(self) -> None:
        if not self._ops.available:
            self.count_label.setText(_("The history is not available."))
            return
        self._ops.query(lambda store: (store.count_to_review(), store.to_review(limit=LIMIT)),
                        self._loaded, lambda exc: self.count_label.setText(str(exc)),
                        key="worklist")

    def _loaded(self, result: tuple[int, list[Reading]]) -> None:
        selected = self.selected_id()
        self.total, self.readings = result
        self.table.setRowCount(len(self.readings))
        for row, reading in enumerate(self.readings):
            self._fill(row, reading)
        self.count_label.setText(ngettext("{count} reading to review", "{count} readings to review",
                                          self.total).format(count=self.total))
        self.review_button.setEnabled(bool(self.readings))
        ids = [r.id for r in self.readings]
        if self.readings:
            self.table.selectRow(ids.index(selected) if selected in ids else 0)
        self.countChanged.emit(self.total)

    def _fill(self, row: int, r: Reading) -> None:
        cells = ["", why_text(r), local_time(r.created_utc), r.patient_id or "",
                 shown_name(r.patient_name), one_line(ResultSummary.from_reading(r))]
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)  # item text is plain text
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            if column == 1 and (r.uncertain or r.out_of_distribution):
                item.setForeground(QColor("#b71c1c" if r.out_of_distribution else "#8a5a00"))
            self.table.setItem(row, column, item)
        if r.thumbnail_png:
            pixmap = QPixmap()
            if pixmap.loadFromData(r.thumbnail_png):
                self.table.item(row, 0).setIcon(QIcon(pixmap))

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.readings):
            return None
        return self.readings[rows[0].row()].id

    def review_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.review_row(rows[0].row() if rows else 0)

    def review_row(self, row: int) -> None:
        ids = [r.id for r in self.readings if r.id is not None]
        if 0 <= row < len(ids):
            self.reviewRequested.emit(ids, row)
