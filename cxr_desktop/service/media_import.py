"""X-ray media in (a CD, a USB stick, an export folder): what to import and why not (Qt-free).

A DICOMDIR is read with pydicom's FileSet (``core.dicom_media``); a folder without one is
scanned by content (``service.folders``). Each image gets a decision: imported, or listed with
the reason it is not: the header rules out a frontal chest X-ray (``core.header_check``, the
same rule as the reading itself), it cannot be read, or it is already in the history (same file
or same SOP Instance UID), so that nothing is read twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cxr_desktop.core.dicom_media import (
    MediaImage,
    MediaIndex,
    find_dicomdir,
    read_dicomdir,
    read_header,
)
from cxr_desktop.core.header_check import header_conflict
from cxr_desktop.core.patient import shown_name
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.i18n import _
from cxr_desktop.privacy import describe_file
from cxr_desktop.service.dicom_words import dicom_date_text
from cxr_desktop.service.folders import file_sha256, list_images

log = logging.getLogger(__name__)

DICM_AT = 128


@dataclass(frozen=True)
class MediaItem:
    image: MediaImage
    reason: str | None = None  # why it is not imported (None: it is)
    known_reading: int | None = None  # a reading of the same image already in the history

    @property
    def path(self) -> str:
        return self.image.path


@dataclass
class SeriesGroup:
    """One series (or, for plain image files, one file) as the import dialog lists it."""

    patient: str
    study: str
    series: str
    modality: str
    items: list[MediaItem] = field(default_factory=list)

    @property
    def importable(self) -> list[MediaItem]:
        return [i for i in self.items if i.reason is None]

    @property
    def reason(self) -> str | None:
        """Why nothing of this series is imported (None: something is)."""
        if self.importable:
            return None
        return next((i.reason for i in self.items if i.reason), None)


@dataclass
class MediaPlan:
    root: str
    from_dicomdir: bool
    items: list[MediaItem]

    @property
    def to_import(self) -> list[MediaItem]:
        return [i for i in self.items if i.reason is None]


def _is_dicom(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(DICM_AT + 4)
    except OSError:
        return False
    from cxr_desktop.core.imaging import sniff_format

    return head[DICM_AT:DICM_AT + 4] == b"DICM" or sniff_format(head) == "DICOM"


def scan_folder(folder: str | os.PathLike[str]) -> MediaIndex:
    """A folder without a DICOMDIR, by content: every image file; DICOM headers are read."""
    index = MediaIndex(os.path.abspath(folder), from_dicomdir=False)
    for path in list_images(folder):
        index.images.append(read_header(path) if _is_dicom(path) else MediaImage(path))
    return index


def decide(image: MediaImage, store: HistoryStore | None) -> MediaItem:
    if image.unreadable:
        log.info("media: %s unreadable: %s", describe_file(image.path), image.unreadable)
        return MediaItem(image, _("This file could not be read."))
    meta = image.metadata
    if meta is not None:
        if meta.width <= 0 or meta.height <= 0:
            return MediaItem(image, _("This DICOM file contains no image (it may be a report or "
                                      "another kind of document)."))
        conflict = header_conflict(meta)
        if conflict:
            return MediaItem(image, conflict)
    if store is not None:
        uid = meta.sop_instance_uid if meta is not None else None
        known = store.find_same_image(file_sha256=file_sha256(image.path), sop_instance_uid=uid)
        if known:
            return MediaItem(image, _("Already in the history as reading #{id}.").format(
                id=known[0].id), known_reading=known[0].id)
    return MediaItem(image)


def scan_media(path: str | os.PathLike[str], store: HistoryStore | None = None) -> MediaPlan:
    """What the media at ``path`` (its folder, or its DICOMDIR) holds and what to import.
    Raises OSError or ValueError when a DICOMDIR is there but unreadable."""
    dicomdir = find_dicomdir(path)
    if dicomdir is not None:
        index = read_dicomdir(dicomdir)
    elif os.path.isdir(path):
        index = scan_folder(path)
    else:
        index = MediaIndex(os.path.abspath(os.path.dirname(path)), False,
                           [read_header(path) if _is_dicom(os.fspath(path)) else MediaImage(os.fspath(path))])
    return MediaPlan(index.root, index.from_dicomdir, [decide(i, store) for i in index.images])


def group_series(items: Iterable[MediaItem]) -> list[SeriesGroup]:
    """Patients, studies and series in media order; each plain image file is a group of its own."""
    groups: dict[tuple, SeriesGroup] = {}
    for item in items:
        meta = item.image.metadata
        if meta is None:
            key: tuple = ("file", item.path)
            group = groups.setdefault(key, SeriesGroup(_("Unknown patient"), "", Path(item.path).name, ""))
        else:
            key = (meta.patient_id, meta.study_instance_uid, meta.series_instance_uid or item.path)
            patient = " ".join(p for p in (meta.patient_id, shown_name(meta.patient_name)) if p)
            study = " ".join(p for p in (dicom_date_text(meta.study_date),
                                         item.image.study_description) if p)
            series = (_("Series {number}: {description}").format(
                number=item.image.series_number, description=item.image.series_description or "")
                if item.image.series_number else item.image.series_description or "").strip(": ")
            group = groups.setdefault(key, SeriesGroup(patient or _("Unknown patient"), study,
                                                       series, meta.modality or ""))
        group.items.append(item)
    return list(groups.values())
