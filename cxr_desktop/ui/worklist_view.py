"""WorklistView: "To review", the readings without a confirmed finding, referred (uncertain)
first, then 'not a chest X-ray', then the rest, oldest first in each. Enter (or a double-click)
opens the Review dialog on that row; next/previous there walk down this list."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
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

LIMIT = 500  # rows listed; the count says how many there are in all
HEADERS = ("", N_("Why"), N_("Date"), N_("Patient ID"), N_("Name"), N_("AI result"))


def covers_server(store: object) -> bool:
    """False when a clinic server could not be reached: the list is this PC's queue only."""
    covers = getattr(store, "covers_server", None)
    return bool(covers()) if callable(covers) else True


def why_text(reading: Reading) -> str:
    if reading.out_of_distribution:
        return _("Not a chest X-ray")
    if reading.uncertain:
        return _("Referred")
    return _("Not confirmed yet")


class WorklistModel(QAbstractTableModel):
    """The listed readings; cells are made when shown, thumbnails decoded when first shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.readings: list[Reading] = []
        self._thumbs: dict[int, QPixmap] = {}

    def set_readings(self, readings: list[Reading]) -> None:
        self.beginResetModel()
        self.readings = readings
        self._thumbs = {k: v for k, v in self._thumbs.items() if k in {r.id for r in readings}}
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.readings)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(HEADERS[section]) if HEADERS[section] else ""
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.readings):
            return None
        r, column = self.readings[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (None, why_text(r), local_time(r.created_utc), r.patient_id or "",
                    shown_name(r.patient_name), one_line(ResultSummary.from_reading(r)))[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return self._thumbnail(r)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and (
                r.uncertain or r.out_of_distribution):
            return QColor("#b71c1c" if r.out_of_distribution else "#8a5a00")
        return None

    def _thumbnail(self, r: Reading) -> QPixmap | None:
        if r.id is None or not r.thumbnail_png:
            return None
        if r.id not in self._thumbs:
            pixmap = QPixmap()
            if not pixmap.loadFromData(r.thumbnail_png):
                return None
            self._thumbs[r.id] = pixmap.scaled(THUMB_SIZE, THUMB_SIZE,
                                               Qt.AspectRatioMode.KeepAspectRatio,
                                               Qt.TransformationMode.SmoothTransformation)
        return self._thumbs[r.id]


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
        self.model = WorklistModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("Readings to review"))
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
        self._ops.query(lambda store: (store.count_to_review(), store.to_review(limit=LIMIT),
                                       covers_server(store)),
                        self._loaded, lambda exc: self.count_label.setText(str(exc)),
                        key="worklist")

    def _loaded(self, result: tuple[int, list[Reading], bool]) -> None:
        selected = self.selected_id()
        self.total, self.readings, complete = result
        self.model.set_readings(self.readings)
        if not complete:  # issue 15: a clinic server that cannot be reached
            text = ngettext("Working offline: {count} reading kept on this PC to review. The "
                            "clinic database's readings are listed again when it is back.",
                            "Working offline: {count} readings kept on this PC to review. The "
                            "clinic database's readings are listed again when it is back.",
                            self.total).format(count=self.total)
        elif self.total > len(self.readings):
            text = _("{count} readings to review; the first {shown} are listed.").format(
                count=self.total, shown=len(self.readings))
        else:
            text = ngettext("{count} reading to review", "{count} readings to review",
                            self.total).format(count=self.total)
        self.count_label.setText(text)
        self.review_button.setEnabled(bool(self.readings))
        ids = [r.id for r in self.readings]
        if self.readings:  # the top of the list, unless someone is moving through it
            keep = self.table.hasFocus() and selected in ids
            self.table.selectRow(ids.index(selected) if keep else 0)
            if not keep:
                self.table.scrollToTop()
        self.countChanged.emit(self.total)

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
