"""Where the parts are made, for the CLI and the GUI alike: the classifier (with its label names
registered), the history store and the reading service. The GUI's composition root
(``ui.app``) builds on these; nothing else constructs them."""

from __future__ import annotations

import logging
from pathlib import Path

from cxr_desktop import paths
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.labels import register_card_names
from cxr_desktop.core.storage import HistoryStore, open_history
from cxr_desktop.service.reading import ReadingService
from cxr_desktop.service.site_calibration import SiteCalibration

log = logging.getLogger(__name__)


def load_classifier(model_dir: Path | str | None = None, threads: int | None = None) -> Classifier:
    """The shipped model (or the one in ``model_dir``); raises ModelError."""
    folder = Path(model_dir) if model_dir is not None else paths.model_dir()
    classifier = Classifier(folder, threads=threads)
    register_card_names(classifier.card.display_labels)
    log.info("model %s %s loaded (%d threads)", classifier.card.name, classifier.card.version,
             classifier.threads)
    return classifier


def open_store(location: Path | str | None = None) -> HistoryStore:
    """The reading history (the user's default one when ``location`` is None); raises
    StorageError."""
    return open_history(location)


def make_service(classifier: Classifier | None, store: HistoryStore | None) -> ReadingService:
    return ReadingService(classifier, store)


def site_calibration_for(classifier: Classifier, store: HistoryStore | None) -> SiteCalibration:
    """Issue 12: the clinic's site calibration for a command, read from ``store``, or from the
    user's history when there is one (a reading that is not saved uses it too). Raises
    StorageError when the history cannot be read."""
    sha = classifier.card.sha256
    if store is not None or not paths.database_path().is_file():
        return SiteCalibration.from_store(store, sha)
    with open_history() as history:
        return SiteCalibration.from_store(history, sha)
