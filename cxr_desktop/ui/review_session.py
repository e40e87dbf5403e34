"""ReviewSession: working through readings in the Review dialog (the worklist, the history's
rows, or one reading), every read and write through HistoryOps. Moving on saves what was
changed first, so nothing typed is lost; "Save and next" saves even an unchanged reading (the
review time says it was seen)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget

from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.review_dialog import ReviewDialog

log = logging.getLogger(__name__)


class ReviewSession(QObject):
    reviewed = Signal(object)  # the updated Reading
    status = Signal(str)

    def __init__(self, ops: HistoryOps, labels: Sequence[str], window: QWidget) -> None:
        super().__init__(window)
        self._ops = ops
        self._labels = list(labels)
        self._window = window
        self._ids: list[int] = []
        self._index = 0
        self.dialog: ReviewDialog | None = None

    def start(self, ids: Sequence[int], index: int = 0) -> None:
        """Open the dialog on ``ids[index]``; next/previous walk through ``ids``."""
        if not self._ops.available or not ids or self.dialog is not None:
            return
        self._ids, self._index = list(ids), max(0, min(index, len(ids) - 1))
        reading_id = self._ids[self._index]
        self._ops.query(lambda store: store.get(reading_id), self._open,
                        lambda exc: self._failed(_("Review not saved"), exc))

    def _position(self) -> str:
        if len(self._ids) < 2:
            return ""
        return _("{position} of {count}").format(position=self._index + 1, count=len(self._ids))

    def _open(self, reading: Reading | None) -> None:
        if reading is None or reading.id is None:
            dialogs.show_error(self._window, _("Review not saved"),
                               _("This reading is no longer in the history."))
            return
        dialog = ReviewDialog(reading, self._labels, self._window, navigable=len(self._ids) > 1)
        dialog.moveRequested.connect(self._move)
        dialog.saveAndNextRequested.connect(self._save_and_next)
        dialog.position.setText(self._position())
        dialog.position.setVisible(len(self._ids) > 1)
        self._navigation(dialog)
        self.dialog = dialog
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                self._save(dialog)
        finally:
            self.dialog = None
            dialog.deleteLater()

    def _navigation(self, dialog: ReviewDialog) -> None:
        dialog.set_navigation(self._index > 0, self._index < len(self._ids) - 1)

    def _save(self, dialog: ReviewDialog) -> None:
        reading_id, note, label = dialog.reading.id, dialog.note(), dialog.confirmed_label()
        seen = dialog.reading.version  # issue 15: refused if someone reviewed it since
        self._ops.write(
            lambda store: store.update_review(reading_id, note=note, confirmed_label=label,
                                              expected_version=seen),
            self._saved, self._save_failed)
        dialog.mark_saved()

    def _save_failed(self, exc: BaseException) -> None:
        newer = getattr(exc, "current", None)  # StaleReviewError: the newer review is shown
        if isinstance(newer, Reading):
            self.reviewed.emit(newer)
        self._failed(_("Review not saved"), exc)

    def _saved(self, updated: Reading) -> None:
        self.reviewed.emit(updated)
        self.status.emit(_("Review of reading #{id} saved.").format(id=updated.id))

    def _move(self, step: int) -> None:
        dialog = self.dialog
        target = self._index + step
        if dialog is None or not 0 <= target < len(self._ids):
            return
        if dialog.dirty:
            self._save(dialog)
        self._index = target
        reading_id = self._ids[target]
        self._ops.query(lambda store: store.get(reading_id), self._moved,
                        lambda exc: self._failed(_("Cannot open the reading"), exc),
                        key="review-move")

    def _moved(self, reading: Reading | None) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        if reading is None:  # deleted meanwhile: leave it out of the list
            del self._ids[self._index]
            self._index = min(self._index, len(self._ids) - 1)
            if not self._ids:
                dialog.reject()
                return
            self._move(0)
            return
        dialog.show_reading(reading, self._position())
        self._navigation(dialog)

    def _save_and_next(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        self._save(dialog)
        if self._index >= len(self._ids) - 1:
            self.status.emit(_("That was the last reading of the list."))
            dialog.reject()  # already saved
            return
        self._move(1)

    def _failed(self, title: str, exc: BaseException) -> None:
        log.warning("%s: %s", title, type(exc).__name__)
        dialogs.show_error(self._window, title, dialogs.error_text(exc))
