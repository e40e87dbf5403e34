"""ReadingController: open one file -> load (worker) -> show -> predict and save (worker) -> show.

Only the most recently opened file is shown; results of an older open that finish later are
still saved (the prediction ran, the reading must not be lost) but not displayed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from cxr_desktop.core.errors import CxrError
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage import History
from cxr_desktop.core.types import XrayImage
from cxr_desktop.ui import pipeline
from cxr_desktop.ui.dialogs import error_text
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class ReadingController(QObject):
    loading = Signal(str)  # path
    imageLoaded = Signal(object)  # XrayImage
    predicting = Signal()
    resultReady = Signal(object)  # pipeline.Outcome for the image on screen
    failed = Signal(str, str)  # dialog title, message
    busyChanged = Signal(bool)

    def __init__(self, runner: TaskRunner, classifier: Classifier | None, history: History | None,
                 patient_values: Callable[[], tuple[str, str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.classifier = classifier
        self.history = history
        self._patient_values = patient_values
        self._generation = 0
        self._in_flight = 0
        self.current_path: str | None = None

    @property
    def busy(self) -> bool:
        return self._in_flight > 0

    def _track(self, delta: int) -> None:
        was = self.busy
        self._in_flight = max(0, self._in_flight + delta)
        if was != self.busy:
            self.busyChanged.emit(self.busy)

    def forget_current(self) -> None:
        """Something else (a stored reading) is on screen now: drop pending results."""
        self._generation += 1
        self.current_path = None

    def open_file(self, path: str) -> None:
        self._generation += 1
        generation = self._generation
        self.current_path = path
        log.info("opening %s", pipeline.describe_file(path))
        self.loading.emit(path)
        self._track(+1)
        self._runner.submit(
            lambda: pipeline.load_image(path),
            lambda image: self._loaded(generation, path, image),
            lambda exc: self._load_failed(generation, path, exc),
        )

    def _load_failed(self, generation: int, path: str, exc: BaseException) -> None:
        self._track(-1)
        self._log_failure("could not open", path, exc)
        if generation == self._generation:
            self.current_path = None
            self.failed.emit("Cannot open this file", error_text(exc))

    def _loaded(self, generation: int, path: str, image: XrayImage) -> None:
        self._track(-1)
        if generation != self._generation:
            return
        log.info("loaded %s: %s %dx%d, %d bit", pipeline.describe_file(path),
                 image.metadata.format, image.width, image.height, image.metadata.bit_depth)
        self.imageLoaded.emit(image)  # the patient panel is filled from DICOM tags here
        self.predict(image, generation)

    def predict(self, image: XrayImage, generation: int | None = None) -> None:
        classifier, history = self.classifier, self.history
        if classifier is None:
            return
        generation = self._generation if generation is None else generation
        patient_id, patient_name = self._patient_values()
        self.predicting.emit()
        self._track(+1)
        self._runner.submit(
            lambda: pipeline.predict_and_save(classifier, history, image, patient_id, patient_name),
            lambda outcome: self._predicted(generation, image, outcome),
            lambda exc: self._predict_failed(generation, image, exc),
        )

    def _predicted(self, generation: int, image: XrayImage, outcome: pipeline.Outcome) -> None:
        self._track(-1)
        p = outcome.prediction
        saved = f"saved as reading {outcome.reading.id}" if outcome.reading else "not saved"
        log.info("prediction for %s: %s p=%.3f uncertain=%s ood=%s (%.2f) in %.0f ms, %s",
                 pipeline.describe_file(image.source_path), p.label, p.confidence, p.uncertain,
                 p.out_of_distribution, p.ood_score, p.total_ms, saved)
        if generation == self._generation:
            self.resultReady.emit(outcome)

    def _predict_failed(self, generation: int, image: XrayImage, exc: BaseException) -> None:
        self._track(-1)
        self._log_failure("analysis failed for", image.source_path, exc)
        if generation == self._generation:
            self.failed.emit("Analysis failed", error_text(exc))

    @staticmethod
    def _log_failure(what: str, path: str | None, exc: BaseException) -> None:
        name = pipeline.describe_file(path)
        if isinstance(exc, CxrError):
            log.warning("%s %s: %s: %s (%s)", what, name, type(exc).__name__, exc.message,
                        pipeline.redact(exc.detail, path))
        else:
            log.error("%s %s: unexpected error\n%s", what, name,
                      pipeline.redacted_traceback(exc, path))
