"""X-ray media (a CD, a USB stick, an export folder): which images it holds, by patient,
study and series, and what each one's header says (no pixels are decoded here).

A DICOMDIR is read with pydicom's ``FileSet``; every image it names is then opened up to its
pixel data for the facts the DICOMDIR leaves out (body part, view). Files it names outside the
media's own folder, missing files and non-image records are reported, never read.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from cxr_desktop.core.dicom import header_fields
from cxr_desktop.core.types import ImageMetadata

log = logging.getLogger(__name__)

DICOMDIR_NAMES = ("DICOMDIR", "dicomdir")


@dataclass(frozen=True)
class MediaImage:
    """One image file of the media and what its header says (None: not a DICOM file)."""

    path: str
    metadata: ImageMetadata | None = None
    study_description: str | None = None
    series_description: str | None = None
    series_number: str | None = None
    unreadable: str | None = None  # why the file could not even be looked at (log detail)


@dataclass
class MediaIndex:
    root: str
    from_dicomdir: bool
    images: list[MediaImage] = field(default_factory=list)


def find_dicomdir(path: str | os.PathLike[str]) -> Path | None:
    """The DICOMDIR of a media folder (or the path itself when it is one)."""
    target = Path(path)
    if target.is_file() and target.name.upper() == "DICOMDIR":
        return target
    for name in DICOMDIR_NAMES:
        candidate = target / name
        if candidate.is_file():
            return candidate
    return None


def read_header(path: str | os.PathLike[str]) -> MediaImage:
    """A DICOM file's header (without its pixel data) as a MediaImage."""
    name = os.fspath(path)
    try:
        ds = pydicom.dcmread(name, stop_before_pixels=True, force=True)
        rows, columns = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
        bits = int(ds.get("BitsStored", 0) or 0)
        meta = ImageMetadata(format="DICOM", width=columns, height=rows, bit_depth=bits,
                             photometric=str(ds.get("PhotometricInterpretation", "") or ""),
                             **header_fields(ds))
        return MediaImage(name, meta, _text(ds, "StudyDescription"),
                          _text(ds, "SeriesDescription"), _text(ds, "SeriesNumber"))
    except (OSError, InvalidDicomError, ValueError, TypeError, AttributeError) as exc:
        return MediaImage(name, unreadable=f"{type(exc).__name__}: {exc}")


def _text(ds: pydicom.Dataset, keyword: str) -> str | None:
    try:
        value = str(ds.get(keyword, "") or "").strip()
    except Exception:  # noqa: BLE001 - a damaged element is no reason to skip the image
        return None
    return value or None


def read_dicomdir(dicomdir: str | os.PathLike[str]) -> MediaIndex:
    """Every instance a DICOMDIR names, sorted by patient, study, series and instance number.
    Raises OSError / InvalidDicomError / ValueError when the DICOMDIR itself is unreadable."""
    from pydicom.fileset import FileSet

    path = Path(dicomdir)
    root = path.parent.resolve()
    dicomdir_ds = pydicom.dcmread(os.fspath(path))
    file_set = FileSet(dicomdir_ds)
    index = MediaIndex(str(root), from_dicomdir=True)
    seen: set[Path] = set()
    for instance in file_set:
        try:
            target = Path(instance.path).resolve()
        except (OSError, ValueError) as exc:
            index.images.append(MediaImage(str(instance.path), unreadable=str(exc)))
            continue
        if root not in target.parents:
            log.warning("DICOMDIR names a file outside its folder; skipped")
            index.images.append(MediaImage(str(target), unreadable="outside the media folder"))
            continue
        seen.add(target)
        if not target.is_file():
            index.images.append(MediaImage(str(target), unreadable="missing file"))
            continue
        index.images.append(read_header(target))
    # FileSet leaves out (with a warning) records whose file is missing: report them too.
    for record in dicomdir_ds.get("DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if file_id and "ReferencedSOPInstanceUIDInFile" in record:
            parts = [file_id] if isinstance(file_id, str) else list(file_id)
            target = root.joinpath(*parts).resolve()
            if target not in seen and not target.is_file():
                seen.add(target)
                index.images.append(MediaImage(str(target), unreadable="missing file"))
    index.images.sort(key=_order)
    return index


def _order(image: MediaImage) -> tuple:
    meta = image.metadata
    if meta is None:
        return ("~", "", "", image.series_number or "", image.path)
    return (meta.patient_id or "", meta.study_instance_uid or "",
            (image.series_number or "").zfill(6), meta.series_instance_uid or "", image.path)


def with_metadata(image: MediaImage, metadata: ImageMetadata) -> MediaImage:
    return replace(image, metadata=metadata)
