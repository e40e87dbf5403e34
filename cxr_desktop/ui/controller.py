"""ReadingController: open one file -> load (worker) -> show -> analyse (worker) -> show the
result -> save (history write lane) -> show that it is saved.

The result is shown as soon as the model has answered; the save follows on the history's write
lane, queued by the worker itself, so a reading is saved even when the window closes before the
result reaches the screen, and a slow database never delays the result. Only the most recently
opened file is shown; results of an older open that finish later are still saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from cxr_desktop.core.errors import CxrError
from cxr_desktop.core.imaging import is_reduced
from cxr_desktop.core.types import Prediction, Reading, XrayImage
from cxr_desktop.i18n import _
from cxr_desktop.privacy import describe_file, redact, redacted_traceback
from cxr_desktop.service.reading import PatientFields, ReadingService
from cxr_desktop.ui.dialogs import error_text
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class ReadingController(QObject):
    loading = Signal(str)  # path
    imageLoaded = Signal(object)  # XrayImage (what the model sees; may be reduced)
    fullImageLoaded = Signal(object)  # XrayImage at full resolution, for the viewer
    predicting = Signal()
    resultReady = Signal(object)  # the Prediction for the image on screen (not yet saved)
    readingSaved = Signal(object)  # the saved Reading of the image on screen
    saveFailed = Signal(str, str)  # dialog title, message
    failed = Signal(str, str)  # dialog title, message
    busyChanged = Signal(bool)
    _predicted = Signal(int, object)  # generation, Prediction: emitted by the worker, shown at once

    def __init__(self, runner: TaskRunner, ops: HistoryOps, service: ReadingService,
                 patient_values: Callable[[], PatientFields], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._ops = ops
        self.service = service
        self._patient_values = patient_values
        self._generation = 0
        self._in_flight = 0
        self._shown: int | None = None  # generation whose result is on screen
        self._early_saves: dict[int, Reading] = {}
        self.current_path: str | None = None
        self._predicted.connect(self._prediction_ready)  # queued: it comes from a worker

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

    # -- open ---------------------------------------------------------------------------------

    def open_file(self, path: str) -> None:
        self._generation += 1
        generation = self._generation
        self._early_saves.clear()
        self.current_path = path
        log.info("opening %s", describe_file(path))
        self.loading.emit(path)
        self._track(+1)
        self._runner.submit(
            lambda: self.service.load(path),
            lambda image: self._loaded(generation, path, image),
            lambda exc: self._load_failed(generation, path, exc),
        )

    def _load_failed(self, generation: int, path: str, exc: BaseException) -> None:
        self._track(-1)
        self._log_failure("could not open", path, exc)
        if generation == self._generation:
            self.current_path = None
            self.failed.emit(_("Cannot open this file"), error_text(exc))

    def _loaded(self, generation: int, path: str, image: XrayImage) -> None:
        self._track(-1)
        if generation != self._generation:
            return
        meta = image.metadata
        log.info("loaded %s: %s %dx%d, %d bit", describe_file(path), meta.format, meta.width,
                 meta.height, meta.bit_depth)
        self.imageLoaded.emit(image)  # the patient panel is filled from DICOM tags here
        self.predict(image, generation)
        if is_reduced(image):  # decoded at reduced resolution for the model
            self._runner.submit(lambda: self.service.load_for_viewer(path),
                                lambda full: self._full_loaded(generation, full),
                                lambda exc: log.info("full image not loaded: %s", type(exc).__name__))

    def _full_loaded(self, generation: int, image: XrayImage) -> None:
        if generation == self._generation:
            self.fullImageLoaded.emit(image)

    # -- analyse and save ---------------------------------------------------------------------

    def predict(self, image: XrayImage, generation: int | None = None) -> None:
        if self.service.classifier is None:
            return
        generation = self._generation if generation is None else generation
        patient = self._patient_values()
        self.predicting.emit()
        self._track(+2 if self._ops.available else +1)  # the analysis, then its save
        self._runner.submit(
            lambda: self._analyse_and_queue_save(image, patient, generation),
            lambda reading: self._analysed(generation, reading),
            lambda exc: self._analysis_failed(generation, image, exc),
        )

    def _analyse_and_queue_save(self, image: XrayImage, patient: PatientFields,
                                generation: int) -> Reading:  # a worker thread
        answer = self.service.predict(image)
        self._predicted.emit(generation, answer.prediction)  # the result goes on screen now
        reading = self.service.reading_for(image, answer, patient)  # previews encoded
        if self._ops.available:
            self._ops.write(lambda store: self.service.save(reading),
                            lambda saved: self._saved(generation, saved),
                            lambda exc: self._save_failed(generation, exc))
        return reading

    def _prediction_ready(self, generation: int, prediction: Prediction) -> None:
        if generation != self._generation:
            return
        self._shown = generation
        self.resultReady.emit(prediction)

    def _analysed(self, generation: int, reading: Reading) -> None:
        self._track(-1)
        log.info("prediction for %s: %s uncertain=%s ood=%s (%.2f) in %.0f ms",
                 describe_file(reading.source_path), reading.label, reading.uncertain,
                 reading.out_of_distribution, reading.ood_score or 0.0, reading.inference_ms or 0.0)
        if generation != self._generation:
            return
        early = self._early_saves.pop(generation, None)
        if early is not None:
            self.readingSaved.emit(early)

    def _saved(self, generation: int, reading: Reading) -> None:
        self._track(-1)
        if generation != self._generation:
            return
        if self._shown != generation:  # saved before the result reached the screen
            self._early_saves[generation] = reading
            return
        self.readingSaved.emit(reading)

    def _save_failed(self, generation: int, exc: BaseException) -> None:
        self._track(-1)
        log.warning("saving a reading failed: %s", redact(getattr(exc, "detail", None) or type(exc).__name__))
        if generation == self._generation:
            self.saveFailed.emit(_("Reading not saved"), error_text(exc))

    def _analysis_failed(self, generation: int, image: XrayImage, exc: BaseException) -> None:
        self._track(-2 if self._ops.available else -1)  # no save was queued
        self._log_failure("analysis failed for", image.source_path, exc)
        if generation == self._generation:
            self.failed.emit(_("Analysis failed"), error_text(exc))

    @staticmethod
    def _log_failure(what: str, path: str | None, exc: BaseException) -> None:
        name = describe_file(path)
        if isinstance(exc, CxrError):
            log.warning("%s %s: %s (%s)", what, name, type(exc).__name__, redact(exc.detail, path))
        else:
            log.error("%s %s: unexpected error\n%s", what, name, redacted_traceback(exc, path))
