"""Where the parts are made, for the CLI and the GUI alike: the classifier (with its label names
registered), the history store, the decode guard and the reading service. The GUI's composition
root (``ui.app``) builds on these; nothing else constructs them.

Loading: the model's image comes from the fast path (``load_xray(min_side=MODEL_MIN_SIDE)``:
reduced-resolution decoding, the same model input within rounding); the viewer's full image
follows in the background (``VIEWER_MIN_SIDE``: a 7000-pixel JPEG 2000 is not decoded whole just
to be looked at on a laptop screen). With a ``DecodeGuard`` both run in a worker process killed
past a time limit, so no file keeps the user, a batch or the window waiting.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cxr_desktop import paths
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.labels import register_card_names
from cxr_desktop.core.storage import HistoryStore, open_history
from cxr_desktop.service.reading import MODEL_MIN_SIDE, ReadingService
from cxr_desktop.service.site_calibration import SiteCalibration

log = logging.getLogger(__name__)

#: The viewer's "full" image: at least this many pixels on the shorter side (more than any
#: screen shows), or the whole image when it is smaller.
VIEWER_MIN_SIDE = 3072
#: The viewer's background decode may take longer than the model's.
VIEWER_TIME_LIMIT_S = 30.0


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
    where the person chose (``service.backups``; issue 14), or the clinic server when one is set
    (issue 15); raises StorageError."""
    from cxr_desktop.core.storage.postgresql import is_database_url
    from cxr_desktop.service import clinic_config  # issue 15: a shared clinic server
    from cxr_desktop.service.backups import backup_folder

    url = location if is_database_url(location) else None
    if location is None:
        url = clinic_config.database_url()
    if url:
        from cxr_desktop.service.sync import open_clinic_history

        return open_clinic_history(str(url), clinic_config.outbox_path(),
                                   clinic_config.stored_password() if location is None else None)
    return open_history(location, backup_folder(location), new_if_missing=new_if_missing)


def make_decode_guard():
    """Decoding in worker processes under a per-file time limit (starts its workers at once, in
    the background); close it when done."""
    from cxr_desktop.core.decode_guard import DecodeGuard

    return DecodeGuard()


def make_service(classifier: Classifier | None, store: HistoryStore | None,
                 guard=None) -> ReadingService:
    """The one reading path; with a ``DecodeGuard`` every decode runs under its time limit."""
    if guard is None:
        from cxr_desktop.core.imaging import load_xray

        return ReadingService(
            classifier, store,
            loader=lambda path: load_xray(path, min_side=MODEL_MIN_SIDE),
            full_loader=lambda path: load_xray(path, min_side=VIEWER_MIN_SIDE),
        )
    return ReadingService(
        classifier, store,
        loader=lambda path: guard.load(path, min_side=MODEL_MIN_SIDE),
        full_loader=lambda path: guard.load(path, min_side=VIEWER_MIN_SIDE,
                                            time_limit_s=VIEWER_TIME_LIMIT_S),
    )


def site_calibration_for(classifier: Classifier, store: HistoryStore | None) -> SiteCalibration:
    """Issue 12: the clinic's site calibration for a command, read from ``store``, or from the
    user's history when there is one (a reading that is not saved uses it too). Raises
    StorageError when the history cannot be read."""
    sha = classifier.card.sha256
    if store is None:
        from cxr_desktop.service import clinic_config

        url = clinic_config.database_url()
        if url:  # issue 15: the clinic server's calibration (or, offline, the one last known)
            from cxr_desktop.service.sync import open_clinic_history

            with open_clinic_history(url, clinic_config.outbox_path(),
                                     clinic_config.stored_password(), sender=False) as clinic:
                return SiteCalibration.from_store(clinic, sha)
    if store is not None or not paths.database_path().is_file():
        return SiteCalibration.from_store(store, sha)
    with open_history() as history:
        return SiteCalibration.from_store(history, sha)
