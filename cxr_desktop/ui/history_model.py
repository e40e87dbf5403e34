"""HistoryModel: a lazily paged table over ``core.storage.History``.

Only the rows the view scrolls to are fetched (``canFetchMore``/``fetchMore`` load one
``ReadingQuery`` page at a time; ``History.count`` gives the total), so 100,000 readings cost one
count and one page of queries. Sorting and filtering re-run the query from the first page.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPixmap

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.percent import percent
from cxr_desktop.core.storage import History, ReadingQuery
from cxr_desktop.core.types import OOD_LABEL, Reading
from cxr_desktop.ui.plain import rich_text
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

PAGE_SIZE = 200
THUMB_SIZE = 48
THUMB_CACHE = 600

COLUMNS = ("", "Date", "Patient ID", "Name", "AI finding", "Top %", "Confirmed", "Note", "Reviewed")
COL_THUMB, COL_DATE, COL_PID, COL_NAME, COL_FINDING, COL_TOP, COL_CONFIRMED, COL_NOTE, COL_REVIEWED = range(9)
#: Which storage column each table column sorts by (None: not sortable).
SORT_KEYS: dict[int, str | None] = {
    COL_THUMB: None, COL_DATE: "created_utc", COL_PID: "patient_id", COL_NAME: "patient_name",
    COL_FINDING: "label", COL_TOP: None, COL_CONFIRMED: "confirmed_label", COL_NOTE: None,
    COL_REVIEWED: "reviewed_utc",
}

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def local_time(iso: str | None, with_time: bool = True) -> str:
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


class HistoryModel(QAbstractTableModel):
    errorOccurred = Signal(str)
    totalChanged = Signal(int)
    refreshed = Signal()  # new rows are in (after a filter, sort or refresh)

    def __init__(self, history: History | None, display_label: Callable[[str], str] | None = None,
                 page_size: int = PAGE_SIZE, runner: TaskRunner | None = None, parent=None) -> None:
        super().__init__(parent)
        self._history = history
        self._display = display_label or (lambda s: s.replace("_", " "))
        self._page = max(1, int(page_size))
        self._runner = runner
        self._query = ReadingQuery(limit=self._page)  # what was asked for last
        self._applied = self._query  # what the rows on show were loaded with
        self._generation = 0
        self.pending = False
        self._rows: list[Reading] = []
        self._total = 0
        self._thumbs: OrderedDict[int, QPixmap] = OrderedDict()
        self.refresh(background=False)

    # ------------------------------------------------------------ querying
    @property
    def query(self) -> ReadingQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    def set_query(self, query: ReadingQuery) -> None:
        self._query = replace(query, limit=self._page, offset=0)
        self.refresh()

    def set_filters(self, text: str = "", label: str | None = None, date_from: str | None = None,
                    date_to: str | None = None, reviewed: bool | None = None) -> None:
        self.set_query(replace(self._query, text=text, label=label, date_from=date_from,
                               date_to=date_to, reviewed=reviewed))

    def refresh(self, background: bool = True) -> None:
        """Re-count and reload the first page. With a TaskRunner the two queries (a text search
        over 100,000 readings can take a few hundred ms) run on a worker; the rows on show stay
        until the answer arrives, and only the latest request is applied."""
        self._generation += 1
        generation, query, history = self._generation, self._query, self._history
        if history is None:
            self._apply(query, 0, [])
            return
        if not background or self._runner is None:
            try:
                total, rows = self._load(history, query)
            except (StorageError, ValueError) as exc:
                self._failed(generation, exc)
                return
            self._apply(query, total, rows)
            return
        self.pending = True
        self._runner.submit(lambda: self._load(history, query),
                            lambda result: self._loaded(generation, query, result),
                            lambda exc: self._failed(generation, exc))

    @staticmethod
    def _load(history: History, query: ReadingQuery) -> tuple[int, list[Reading]]:
        return history.count(query), history.search(replace(query, offset=0))

    def _loaded(self, generation: int, query: ReadingQuery, result: tuple[int, list[Reading]]) -> None:
        if generation == self._generation:
            self.pending = False
            self._apply(query, *result)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.pending = False
        log.warning("history query failed: %s", getattr(exc, "detail", None) or type(exc).__name__)
        self._apply(self._query, 0, [])
        self.errorOccurred.emit(str(exc) if isinstance(exc, (StorageError, ValueError))
                                else "The history could not be read.")

    def _apply(self, query: ReadingQuery, total: int, rows: list[Reading]) -> None:
        self.beginResetModel()
        self._applied, self._total, self._rows = query, total, rows
        self.endResetModel()
        self.totalChanged.emit(self._total)
        self.refreshed.emit()

    def canFetchMore(self, parent: Index = _ROOT) -> bool:  # noqa: N802 - Qt API
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = _ROOT) -> None:  # noqa: N802 - Qt API
        if parent.isValid() or self._history is None or len(self._rows) >= self._total:
            return
        try:
            page = self._history.search(replace(self._applied, offset=len(self._rows)))
        except StorageError as exc:
            self.errorOccurred.emit(str(exc))
            return
        if not page:  # rows were deleted elsewhere: stop asking
            self._total = len(self._rows)
            self.totalChanged.emit(self._total)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_KEYS.get(column)
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._query.order_by and descending == self._query.descending:
            return
        self.set_query(replace(self._query, order_by=key, descending=descending))

    def sort_column(self) -> tuple[int, Qt.SortOrder]:
        column = next((c for c, k in SORT_KEYS.items() if k == self._query.order_by), COL_DATE)
        order = Qt.SortOrder.DescendingOrder if self._query.descending else Qt.SortOrder.AscendingOrder
        return column, order

    # ---------------------------------------------------------------- rows
    def reading_at(self, row: int) -> Reading | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, reading_id: int) -> int | None:
        for row, reading in enumerate(self._rows):
            if reading.id == reading_id:
                return row
        return None

    def update_reading(self, reading: Reading) -> None:
        """Replace a loaded row in place (after a review) without reloading the page."""
        row = self.row_of(reading.id) if reading.id is not None else None
        if row is None:
            return
        old = self._rows[row]
        self._rows[row] = replace(reading, preview_png=None, heatmap_png=None,
                                  thumbnail_png=reading.thumbnail_png or old.thumbnail_png)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # ------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return None if SORT_KEYS.get(section) else "This column cannot be sorted"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        reading = self.reading_at(index.row())
        if reading is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(reading, column)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_THUMB:
            return self._thumbnail(reading)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_FINDING:
            if reading.out_of_distribution:
                return QColor("#b71c1c")
            if reading.uncertain:
                return QColor("#8a5a00")
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_NOTE and reading.note:
                return rich_text(reading.note)
            if column == COL_FINDING:
                return rich_text(self._finding_tooltip(reading))
        if role == Qt.ItemDataRole.UserRole:
            return reading.id
        return None

    def _text(self, r: Reading, column: int) -> str | None:
        if column == COL_DATE:
            return local_time(r.created_utc)
        if column == COL_PID:
            return r.patient_id or ""
        if column == COL_NAME:
            return r.patient_name or ""
        if column == COL_FINDING:
            if r.out_of_distribution or r.label == OOD_LABEL:
                return "Not a chest X-ray"
            return self._display(r.label) + (" (uncertain)" if r.uncertain else "")
        if column == COL_TOP:
            if r.out_of_distribution or not r.probabilities:
                return ""
            return percent(max(r.probabilities.values())).replace("%", "") + " %"
        if column == COL_CONFIRMED:
            return self._display(r.confirmed_label) if r.confirmed_label else ""
        if column == COL_NOTE:
            return (r.note or "").replace("\n", " ")[:120]
        if column == COL_REVIEWED:
            return local_time(r.reviewed_utc, with_time=False) if r.reviewed_utc else ""
        return None

    def _finding_tooltip(self, r: Reading) -> str:
        if r.out_of_distribution:
            return "The image did not look like a frontal chest X-ray; no class was given."
        probs = ", ".join(f"{self._display(k)} {percent(v)}" for k, v in r.probabilities.items())
        return probs + ("\nUncertain: refer to a radiologist." if r.uncertain else "")

    def _thumbnail(self, r: Reading) -> QPixmap | None:
        if r.id is None or not r.thumbnail_png:
            return None
        pixmap = self._thumbs.get(r.id)
        if pixmap is None:
            pixmap = QPixmap()
            if not pixmap.loadFromData(r.thumbnail_png):
                return None
            pixmap = pixmap.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
            self._thumbs[r.id] = pixmap
            if len(self._thumbs) > THUMB_CACHE:
                self._thumbs.popitem(last=False)
        else:
            self._thumbs.move_to_end(r.id)
        return pixmap
