"""The work the GUI sends to background threads. Plain functions, no Qt, no widgets.

Each reading is saved to the history *inside* the worker job that predicted it, so a reading is
never lost because the window closed or the GUI was busy: quitting waits for running jobs.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage import History, reading_from_prediction
from cxr_desktop.core.types import Prediction, Reading, XrayImage

log = logging.getLogger(__name__)

#: File name endings offered in the open dialog and picked up from folders.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".dicom")


_SENSITIVE: dict[str, str] = {}  # text that must not reach a log line -> its replacement
_SENSITIVE_LOCK = threading.Lock()
MIN_SENSITIVE_LENGTH = 4


def _token(path: str) -> str:
    suffix = Path(path).suffix.lower()[:8] or "no extension"
    digest = hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"file#{digest} ({suffix})"


def describe_file(path: str | os.PathLike[str] | None) -> str:
    """A log-safe name for a file: its extension and a short hash of its path. File names often
    carry patient names, and patient names never go into the logs. The path and its parts are
    also remembered, so the log formatter scrubs them from any other module's log lines."""
    if not path:
        return "<no file>"
    text = os.fspath(path)
    token = _token(text)
    remember_sensitive(text, Path(text).name, Path(text).stem, replacement=token)
    return token


def remember_sensitive(*values: str | None, replacement: str = "<redacted>") -> None:
    """Never log these strings (file paths and names, patient names and IDs)."""
    with _SENSITIVE_LOCK:
        for value in values:
            value = (value or "").strip()
            if len(value) >= MIN_SENSITIVE_LENGTH and value not in _SENSITIVE:
                _SENSITIVE[value] = replacement


def scrub(text: str) -> str:
    """``text`` with every remembered sensitive string replaced (longest first)."""
    with _SENSITIVE_LOCK:
        needles = sorted(_SENSITIVE.items(), key=lambda kv: len(kv[0]), reverse=True)
    for needle, replacement in needles:
        if needle in text:
            text = text.replace(needle, replacement)
    return text


def redact(text: str | None, path: str | os.PathLike[str] | None) -> str:
    """``text`` (e.g. an error's technical detail) with the file's path and name replaced by
    ``describe_file(path)``."""
    text = str(text or "")
    if path:
        full = os.fspath(path)
        for needle in sorted({full, str(Path(full)), Path(full).name, Path(full).stem}, key=len,
                             reverse=True):
            if len(needle) >= 3:
                text = text.replace(needle, describe_file(full))
    return scrub(text)


def redacted_traceback(exc: BaseException, path: str | os.PathLike[str] | None) -> str:
    import traceback

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return redact(text, path)


def clean(value: str | None) -> str | None:
    """A patient field as stored: stripped, empty means unknown (None)."""
    value = (value or "").strip()
    return value or None


def load_image(path: str) -> XrayImage:
    from cxr_desktop.core.imaging import load_xray

    describe_file(path)  # remember the name before any library can log it
    image = load_xray(Path(path))
    meta = image.metadata
    remember_sensitive(meta.patient_name, meta.patient_id)
    if meta.patient_name and "^" in meta.patient_name:
        remember_sensitive(*meta.patient_name.split("^"))
    return image


@dataclass(frozen=True, eq=False)
class Outcome:
    """A prediction and the reading saved for it (``reading`` is None when the history is
    unavailable; ``save_error`` then says why)."""

    prediction: Prediction
    reading: Reading | None
    save_error: Exception | None = None


def predict_and_save(classifier: Classifier, history: History | None, image: XrayImage,
                     patient_id: str | None, patient_name: str | None) -> Outcome:
    remember_sensitive(patient_id, patient_name)
    prediction = classifier.predict(image)
    if history is None:
        return Outcome(prediction, None)
    reading = reading_from_prediction(image, prediction)
    reading = replace(reading, patient_id=clean(patient_id), patient_name=clean(patient_name))
    new_id = history.add(reading)
    return Outcome(prediction, replace(reading, id=new_id))


@dataclass(frozen=True)
class BatchItem:
    path: str
    label: str | None = None  # the stored label (OOD_LABEL for 'not a chest X-ray')
    uncertain: bool = False
    reading_id: int | None = None
    error: str | None = None  # a reason a nurse can read


def batch_one(classifier: Classifier, history: History | None, path: str) -> BatchItem:
    """Load, predict and save one file; expected problems become ``BatchItem.error``."""
    from cxr_desktop.core.errors import CxrError

    try:
        image = load_image(path)
        meta = image.metadata
        outcome = predict_and_save(classifier, history, image, meta.patient_id, meta.patient_name)
    except CxrError as exc:
        log.info("batch: %s skipped: %s (%s)", describe_file(path), type(exc).__name__,
                 redact(exc.detail, path))
        return BatchItem(path, error=exc.message)
    except MemoryError:
        log.warning("batch: %s: out of memory", describe_file(path))
        return BatchItem(path, error="Not enough memory to open this image.")
    reading = outcome.reading
    if reading is None:
        label = outcome.prediction.label
        return BatchItem(path, label=label, uncertain=outcome.prediction.uncertain)
    return BatchItem(path, label=reading.label, uncertain=reading.uncertain, reading_id=reading.id)


def list_images(folder: str, limit: int = 100_000) -> list[str]:
    """Image-like files in ``folder`` and its subfolders, sorted; DICOM files often have no
    extension, so files without one are included too (unreadable ones fail with a reason)."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            suffix = Path(name).suffix.lower()
            if suffix in IMAGE_SUFFIXES or suffix == "":
                found.append(os.path.join(root, name))
                if len(found) >= limit:
                    return found
    return found


def decode_gray_png(data: bytes | None) -> np.ndarray | None:
    if not data:
        return None
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("L"), dtype=np.uint8)
