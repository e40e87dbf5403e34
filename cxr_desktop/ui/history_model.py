"""HistoryModel: a lazily paged table over the reading history (a ``HistoryStore``).

Only the rows the view scrolls to are fetched (``canFetchMore``/``fetchMore`` ask for one
``ReadingQuery`` page at a time; ``count`` gives the total), so 100,000 readings cost one count
and one page of queries. Sorting and filtering re-run the query from the first page. Every query
runs through ``HistoryOps`` (never on the GUI thread); the rows on show stay until the answer
arrives, and only the latest request is applied.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPixmap

from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.labels import display_label
from cxr_desktop.core.patient import shown_name
from cxr_desktop.core.storage import HistoryStore, ReadingQuery
from cxr_desktop.core.types import OOD_LABEL, Reading
from cxr_desktop.i18n import N_, _, format_date, format_datetime, format_percent
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import rich_text

log = logging.getLogger(__name__)

PAGE_SIZE = 200
THUMB_SIZE = 48
THUMB_CACHE = 600

COLUMNS = ("", N_("Date"), N_("Patient ID"), N_("Name"), N_("AI finding"), N_("Probability"),
           N_("Confirmed"), N_("Note"), N_("Reviewed"))
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
    """A stored UTC time in the user's time zone and language; '' for None."""
    if not iso:
        return ""
    try:
        return format_datetime(iso, "short") if with_time else format_date(iso, "medium")
    except ValueError:
        return iso


class HistoryModel(QAbstractTableModel):
    errorOccurred = Signal(str)
    totalChanged = Signal(int)
    refreshed = Signal()  # new rows are in (after a filter, sort or refresh)

    def __init__(self, ops: HistoryOps, page_size: int = PAGE_SIZE, parent=None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._page = max(1, int(page_size))
        self._fetching = False
        self._query = ReadingQuery(limit=self._page)  # what was asked for last
        self._applied = self._query  # what the rows on show were loaded with
        self._generation = 0
        self.pending = False
        self._rows: list[Reading] = []
        self._total = 0
        self._thumbs: OrderedDict[int, QPixmap] = OrderedDict()
        self.refresh()

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

    def refresh(self) -> None:
        """Re-count and reload the first page in the background."""
        self._generation += 1
        generation, query = self._generation, self._query
        if not self._ops.available:
            self._apply(query, 0, [])
            return
        self.pending = True
        self._ops.query(lambda store: self._load(store, query),
                        lambda result: self._loaded(generation, query, result),
                        lambda exc: self._failed(generation, exc), key="history-page")

    @staticmethod
    def _load(store: HistoryStore, query: ReadingQuery) -> tuple[int, list[Reading]]:
        return store.count(query), store.search(replace(query, offset=0))

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
                                else _("The history could not be read."))

    def _apply(self, query: ReadingQuery, total: int, rows: list[Reading]) -> None:
        self.beginResetModel()
        self._fetching = False
        self._applied, self._total, self._rows = query, total, rows
        self.endResetModel()
        self.totalChanged.emit(self._total)
        self.refreshed.emit()

    def canFetchMore(self, parent: Index = _ROOT) -> bool:  # noqa: N802 - Qt API
        return not parent.isValid() and not self._fetching and len(self._rows) < self._total

    def fetchMore(self, parent: Index = _ROOT) -> None:  # noqa: N802 - Qt API
        if parent.isValid() or self._fetching or len(self._rows) >= self._total:
            return
        self._fetching = True
        generation, query = self._generation, replace(self._applied, offset=len(self._rows))
        self._ops.query(lambda store: store.search(query),
                        lambda page: self._more_loaded(generation, query.offset, page),
                        lambda exc: self._more_failed(generation, exc))

    def _more_loaded(self, generation: int, offset: int, page: list[Reading]) -> None:
        if generation != self._generation or offset != len(self._rows):
            return
        self._fetching = False
        if not page:  # rows were deleted elsewhere: stop asking
            self._total = len(self._rows)
            self.totalChanged.emit(self._total)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def _more_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._fetching = False
            self.errorOccurred.emit(str(exc) if isinstance(exc, StorageError)
                                    else _("The history could not be read."))

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
            return _(COLUMNS[section]) if 0 < section < len(COLUMNS) else ("" if section == 0 else None)
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return None if SORT_KEYS.get(section) else _("This column cannot be sorted")
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
            return shown_name(r.patient_name)
        if column == COL_FINDING:
            if r.out_of_distribution or r.label == OOD_LABEL:
                return display_label(OOD_LABEL)
            if r.uncertain:
                return _("{finding} (uncertain)").format(finding=display_label(r.label))
            return display_label(r.label)
        if column == COL_TOP:
            if r.out_of_distribution or not r.probabilities:
                return ""
            return format_percent(max(r.probabilities.values()))
        if column == COL_CONFIRMED:
            return display_label(r.confirmed_label)
        if column == COL_NOTE:
            return (r.note or "").replace("\n", " ")[:120]
        if column == COL_REVIEWED:
            return local_time(r.reviewed_utc, with_time=False) if r.reviewed_utc else ""
        return None

    def _finding_tooltip(self, r: Reading) -> str:
        if r.out_of_distribution:
            return r.ood_reason or _("The image did not look like a frontal chest X-ray; no class "
                                     "was given.")
        lines = [_("{finding}: {percent}").format(finding=display_label(k), percent=format_percent(v))
                 for k, v in r.probabilities.items()]
        if r.uncertain:
            lines.append(_("Uncertain: refer to a radiologist."))
        return "\n".join(lines)

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
