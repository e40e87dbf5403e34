"""BatchRunner: predict and save every image of a folder, one background job per file, with a
progress dialog whose Cancel stops after the file in progress (its reading is still saved)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage import History
from cxr_desktop.ui import pipeline
from cxr_desktop.ui.dialogs import error_text
from cxr_desktop.ui.plain import make_progress_plain
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

MAX_FAILURES_SHOWN = 15


@dataclass
class BatchSummary:
    total: int
    items: list[pipeline.BatchItem] = field(default_factory=list)
    cancelled: bool = False

    @property
    def done(self) -> list[pipeline.BatchItem]:
        return [i for i in self.items if i.error is None]

    @property
    def failures(self) -> list[pipeline.BatchItem]:
        return [i for i in self.items if i.error is not None]

    def counts(self) -> Counter[str]:
        return Counter(i.label or "?" for i in self.done)

    def text(self, display_label: Callable[[str], str] | None = None) -> str:
        show = display_label or (lambda s: s.replace("_", " "))
        head = (f"Cancelled after {len(self.items)} of {self.total} files." if self.cancelled
                else f"Finished: {self.total} file{'s' if self.total != 1 else ''}.")
        lines = [head, f"{len(self.done)} analysed and saved to the history, "
                       f"{len(self.failures)} could not be read."]
        if self.done:
            lines.append("")
            for label, n in sorted(self.counts().items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {show(label)}: {n}")
            uncertain = sum(1 for i in self.done if i.uncertain)
            if uncertain:
                lines.append(f"  of which uncertain (refer to a radiologist): {uncertain}")
        if self.failures:
            lines.append("")
            lines.append("Not analysed:")
            for item in self.failures[:MAX_FAILURES_SHOWN]:
                lines.append(f"  {Path(item.path).name}: {item.error}")
            if len(self.failures) > MAX_FAILURES_SHOWN:
                lines.append(f"  \u2026 and {len(self.failures) - MAX_FAILURES_SHOWN} more.")
        return "\n".join(lines)


class BatchRunner(QObject):
    finished = Signal(object)  # BatchSummary
    itemDone = Signal(object)  # pipeline.BatchItem

    def __init__(self, runner: TaskRunner, classifier: Classifier, history: History | None,
                 parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self._runner = runner
        self._classifier = classifier
        self._history = history
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
        progress = QProgressDialog("Analysing images\u2026", "Cancel", 0, len(self._paths),
                                   self._parent_widget)
        make_progress_plain(progress)  # file names go into its label
        progress.setWindowTitle("Analysing a folder")
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
                self.progress.setLabelText("Stopping after the current image\u2026")

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
            self.progress.setLabelText(f"Image {index + 1} of {len(self._paths)}: {Path(path).name}")
        classifier, history = self._classifier, self._history
        self._runner.submit(lambda: pipeline.batch_one(classifier, history, path),
                            self._item_done,
                            lambda exc: self._item_failed(path, exc))

    def _item_done(self, item: pipeline.BatchItem) -> None:
        if self._summary is None:
            return
        self._summary.items.append(item)
        self.itemDone.emit(item)
        if self.progress is not None:
            self.progress.setValue(len(self._summary.items))
        self._next()

    def _item_failed(self, path: str, exc: BaseException) -> None:
        log.error("batch: unexpected error for %s\n%s", pipeline.describe_file(path),
                  pipeline.redacted_traceback(exc, path))
        self._item_done(pipeline.BatchItem(path, error=error_text(exc)))

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
