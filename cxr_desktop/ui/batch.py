"""BatchRunner: predict and save every image of a folder, one background job per file, with a
progress dialog whose Cancel stops after the file in progress (its reading is still saved).

Each file is loaded and analysed on the worker pool; the worker queues the save on the
history's write lane itself (so nothing is lost when the window closes), and the next file
starts once the save is done. The item list and the summary text come from ``service.batch``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from cxr_desktop.i18n import _
from cxr_desktop.privacy import describe_file, redacted_traceback
from cxr_desktop.service.batch import BatchItem, BatchSummary, analyse_for_batch
from cxr_desktop.service.reading import Analysis, ReadingService, file_name
from cxr_desktop.ui.dialogs import error_text
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import make_progress_plain
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

__all__ = ["BatchItem", "BatchRunner", "BatchSummary"]


class BatchRunner(QObject):
    finished = Signal(object)  # BatchSummary
    itemDone = Signal(object)  # BatchItem

    def __init__(self, runner: TaskRunner, ops: HistoryOps, service: ReadingService,
                 parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self._runner = runner
        self._ops = ops
        self._service = service
        self._parent_widget = parent_widget
        self._paths: list[str] = []
        self._summary: BatchSummary | None = None
        self._cancel_requested = False
        self.progress: QProgressDialog | None = None

    @property
    def running(self) -> bool:
        return self._summary is not None

    def start(self, paths: list[str]) -> None:
        if self.running:
            raise RuntimeError("a batch is already running")
        self._paths = list(paths)
        self._summary = BatchSummary(total=len(self._paths))
        self._cancel_requested = False
        log.info("batch started: %d files", len(self._paths))
        progress = QProgressDialog(_("Analysing images\u2026"), _("Cancel"), 0, len(self._paths),
                                   self._parent_widget)
        progress.setWindowTitle(_("Analysing a folder"))
        make_progress_plain(progress)  # file names go into its label
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setMinimumWidth(420)
        progress.canceled.connect(self.cancel)
        progress.setValue(0)
        progress.show()
        self.progress = progress
        self._next()

    def cancel(self) -> None:
        if self.running and not self._cancel_requested:
            self._cancel_requested = True
            log.info("batch cancel requested")
            if self.progress is not None:
                self.progress.setLabelText(_("Stopping after the current image\u2026"))

    def _next(self) -> None:
        summary = self._summary
        if summary is None:
            return
        index = len(summary.items)
        if self.progress is not None and self.progress.wasCanceled():
            self._cancel_requested = True
        if self._cancel_requested or index >= len(self._paths):
            self._finish(cancelled=self._cancel_requested and index < len(self._paths))
            return
        path = self._paths[index]
        if self.progress is not None:
            self.progress.setLabelText(_("Image {number} of {total}: {file}").format(
                number=index + 1, total=len(self._paths), file=file_name(path)))
        self._runner.submit(lambda: self._analyse_and_queue_save(path),
                            self._analysed,
                            lambda exc: self._item_failed(path, exc))

    def _analyse_and_queue_save(self, path: str) -> BatchItem | None:  # a worker thread
        result = analyse_for_batch(self._service, path)
        if not isinstance(result, Analysis):
            return result
        if not self._ops.available:
            return BatchItem(path, label=result.reading.label, uncertain=result.reading.uncertain)
        reading = result.reading
        self._ops.write(lambda store: self._service.save(reading),
                        lambda saved: self._item_done(BatchItem.of_reading(path, saved)),
                        lambda exc: self._item_done(BatchItem(path, error=error_text(exc))))
        return None  # the item is done when its save is

    def _analysed(self, item: BatchItem | None) -> None:
        if item is not None:
            self._item_done(item)

    def _item_done(self, item: BatchItem) -> None:
        if self._summary is None:
            return
        self._summary.items.append(item)
        self.itemDone.emit(item)
        if self.progress is not None:
            self.progress.setValue(len(self._summary.items))
        self._next()

    def _item_failed(self, path: str, exc: BaseException) -> None:
        log.error("batch: unexpected error for %s\n%s", describe_file(path),
                  redacted_traceback(exc, path))
        self._item_done(BatchItem(path, error=error_text(exc)))

    def _finish(self, cancelled: bool) -> None:
        summary = self._summary
        if summary is None:
            return
        summary.cancelled = cancelled
        self._summary = None
        if self.progress is not None:
            self.progress.canceled.disconnect(self.cancel)
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        log.info("batch finished: %d analysed, %d failed, cancelled=%s",
                 len(summary.done), len(summary.failures), cancelled)
        self.finished.emit(summary)
