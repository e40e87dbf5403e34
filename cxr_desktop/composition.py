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

log = logging.getLogger(__name__)


def load_classifier(model_dir: Path | str | None = None, threads: int | None = None) -> Classifier:
    """The shipped model (or the one in ``model_dir``); raises ModelError."""
    folder = Path(model_dir) if model_dir is not None else paths.model_dir()
    classifier = Classifier(folder, threads=threads)
    register_card_names(classifier.card.display_labels)
    log.info("model %s %s loaded (%d threads)", classifier.card.name, classifier.card.version,
             classifier.threads)
    return classifier


def open_store(location: Path | str | None = None, *, new_if_missing: bool = False) -> HistoryStore:
    """The reading history (the user's default one when ``location`` is None), with its backups
    where the person chose (``service.backups``); raises StorageError."""
    from cxr_desktop.service.backups import backup_folder

    return open_history(location, backup_folder(location), new_if_missing=new_if_missing)


def make_service(classifier: Classifier | None, store: HistoryStore | None) -> ReadingService:
    return ReadingService(classifier, store)
