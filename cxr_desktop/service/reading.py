"""ReadingService: the one path from a file to a stored reading, for the GUI, the GUI's batch, the
command line, the bench and the training's evaluation.

    load(path)            -> XrayImage        (the model's fast path; remembers names for the logs)
    predict(image)        -> Prediction       (what the screen shows first)
    reading_for(...)      -> Reading          (previews encoded, patient fields by the one rule)
    analyse(image, who)   -> Analysis         (both: Prediction + the Reading that would be stored)
    save(reading)         -> Reading          (with its new id)
    read_file(path, ...)  -> ReadOutcome      (all three; a save error is kept, not raised)
    reopen(reading_id)    -> StoredReading    (a stored reading with its images decoded)

Every step may block (disk, model, database): call it off the GUI thread. Nothing here imports
Qt. Errors are CxrError subclasses with a message for people.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cxr_desktop.core.errors import CxrError, ModelError, StorageError
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.patient import clean, stored_name
from cxr_desktop.core.storage import HistoryStore, reading_from_prediction
from cxr_desktop.core.types import Prediction, Reading, XrayImage
from cxr_desktop.i18n import _
from cxr_desktop.privacy import describe_file, remember_sensitive
from cxr_desktop.service.site_calibration import AdjustedPrediction, SiteCalibration

log = logging.getLogger(__name__)

#: The model's fast path decodes at least this many pixels on the shorter side: enough for the
#: stored preview (512 px) and the model's input (224 px). 512 was enough for model 2.0.0; with
#: 2.1.0, 3 of 1,698 borderline val images re-encoded as JPEG changed class at 512 (libjpeg's
#: 1/4 scale), 1 at 768 (bench: fast path agreement).
MODEL_MIN_SIDE = 768

Loader = Callable[[str], XrayImage]


def default_loader(path: str) -> XrayImage:
    """The model's fast path, in this process (``composition.make_service`` can put it under a
    DecodeGuard instead)."""
    from cxr_desktop.core.imaging import load_xray

    return load_xray(path, min_side=MODEL_MIN_SIDE)


def full_image_loader(path: str) -> XrayImage:
    from cxr_desktop.core.imaging import load_xray

    return load_xray(path)


@dataclass(frozen=True)
class PatientFields:
    """Patient details typed or confirmed by a person. None: take them from the file."""

    patient_id: str | None = None
    patient_name: str | None = None


@dataclass(frozen=True, eq=False)
class Analysis:
    """A prediction and the reading that stores it (``reading.id`` is None until saved)."""

    image: XrayImage
    prediction: Prediction
    reading: Reading


@dataclass(frozen=True, eq=False)
class ReadOutcome:
    """What reading one file gave. ``reading.id`` is None when it was not saved; then
    ``save_error`` says why (None: saving was not asked for)."""

    image: XrayImage
    prediction: Prediction
    reading: Reading
    save_error: CxrError | None = None

    @property
    def saved(self) -> bool:
        return self.reading.id is not None


@dataclass(frozen=True, eq=False)
class StoredReading:
    """A reading from the history with its stored preview and heatmap decoded (None: none)."""

    reading: Reading
    preview: np.ndarray | None
    heatmap: np.ndarray | None


def normalized_path(path: str | os.PathLike[str]) -> str:
    """How a file's place is stored: absolute, as the operating system spells it."""
    return os.path.abspath(os.fspath(path))


def decode_gray_png(data: bytes | None) -> np.ndarray | None:
    if not data:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("L"), dtype=np.uint8)


class ReadingService:
    """Thread-safe: the classifier and the store are."""

    def __init__(self, classifier: Classifier | None, store: HistoryStore | None,
                 loader: Loader | None = None, full_loader: Loader | None = None) -> None:
        self.classifier = classifier
        self.store = store
        self._loader = loader or default_loader
        self._full_loader = full_loader or full_image_loader
        #: issue 12: the clinic's signed-off calibration, applied after the classifier.
        self.site = SiteCalibration.off()

    # -- steps --------------------------------------------------------------------------------

    def load(self, path: str | os.PathLike[str]) -> XrayImage:
        """Decode a file for the model (raises CxrError with a message for people)."""
        name = normalized_path(path)
        describe_file(name)  # remember the name before any library can log it
        image = self._loader(name)
        meta = image.metadata
        remember_sensitive(meta.patient_name, meta.patient_id)
        if image.source_path != name:
            image = replace(image, source_path=name)
        return image

    def load_for_viewer(self, path: str | os.PathLike[str]) -> XrayImage:
        """The full-resolution image, for looking at (not for the model)."""
        return self._full_loader(normalized_path(path))

    def predict(self, image: XrayImage) -> AdjustedPrediction:
        """The answer (what the screen shows first): the model's prediction, adjusted by the
        clinic's site calibration when one is signed off (``.prediction`` is what to show)."""
        if self.classifier is None:
            raise ModelError(_("The AI model is not available, so no second opinion can be given."))
        return self.site.adjust(self.classifier.predict(image))  # issue 12: site calibration

    def reading_for(self, image: XrayImage, answer: AdjustedPrediction,
                    patient: PatientFields | None = None) -> Reading:
        """The Reading that stores an answer (previews encoded, patient fields by the one rule
        of ``core.patient``, None fields taken from the file; the site profile that produced it
        and the model's own probabilities kept with it)."""
        patient = patient or PatientFields()
        remember_sensitive(patient.patient_id, patient.patient_name)
        meta = image.metadata
        pid = meta.patient_id if patient.patient_id is None else patient.patient_id
        name = meta.patient_name if patient.patient_name is None else patient.patient_name
        return replace(reading_from_prediction(image, answer.prediction),
                       patient_id=clean(pid), patient_name=stored_name(name),
                       **answer.reading_fields)

    def analyse(self, image: XrayImage, patient: PatientFields | None = None) -> Analysis:
        answer = self.predict(image)
        return Analysis(image, answer.prediction, self.reading_for(image, answer, patient))

    def save(self, reading: Reading) -> Reading:
        """Store the reading; returns it with its new id (raises StorageError)."""
        if self.store is None:
            raise StorageError(_("The reading history is not available, so the reading was not saved."))
        return replace(reading, id=self.store.add(reading))

    # -- use cases ----------------------------------------------------------------------------

    def read_image(self, image: XrayImage, patient: PatientFields | None = None,
                   save: bool = True) -> ReadOutcome:
        analysis = self.analyse(image, patient)
        if not save:
            return ReadOutcome(image, analysis.prediction, analysis.reading)
        try:
            saved = self.save(analysis.reading)
        except StorageError as exc:
            log.info("reading of %s not saved: %s", describe_file(image.source_path), exc.message)
            return ReadOutcome(image, analysis.prediction, analysis.reading, save_error=exc)
        return ReadOutcome(image, analysis.prediction, saved)

    def read_file(self, path: str | os.PathLike[str], patient: PatientFields | None = None,
                  save: bool = True) -> ReadOutcome:
        """Load, predict and (when asked) save one file."""
        return self.read_image(self.load(path), patient, save)

    def reopen(self, reading_id: int) -> StoredReading | None:
        """A stored reading with its images decoded; None when it is no longer there."""
        if self.store is None:
            raise StorageError(_("The reading history is not available."))
        reading = self.store.get(reading_id)
        if reading is None:
            return None
        return StoredReading(reading, decode_gray_png(reading.preview_png),
                             decode_gray_png(reading.heatmap_png))


def file_name(path: str | None) -> str:
    """A file's name for people (not for logs): 'chest.dcm'."""
    return Path(path).name if path else ""
