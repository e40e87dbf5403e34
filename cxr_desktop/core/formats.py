"""The one table of supported image formats.

The Open dialog's filter, the folder listing, the CLI and the "supported formats" message are all
derived from ``FORMATS``. The format of a file is still decided by its content
(``imaging.sniff_format``); the suffixes only say which files to offer and pick up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cxr_desktop.i18n import N_, _, current_language


@dataclass(frozen=True)
class ImageFormat:
    name: str  # as ``imaging.sniff_format`` and ``ImageMetadata.format`` name it
    label: str  # for people (marked for translation)
    suffixes: tuple[str, ...]


FORMATS: tuple[ImageFormat, ...] = (
    ImageFormat("DICOM", N_("DICOM"), (".dcm", ".dicom", ".dic")),
    ImageFormat("PNG", N_("PNG"), (".png",)),
    ImageFormat("JPEG", N_("JPEG"), (".jpg", ".jpeg", ".jpe", ".jfif")),
    ImageFormat("BMP", N_("BMP"), (".bmp",)),
    ImageFormat("TIFF", N_("TIFF"), (".tif", ".tiff")),
    ImageFormat("GIF", N_("GIF"), (".gif",)),
    ImageFormat("WEBP", N_("WebP"), (".webp",)),
)

IMAGE_SUFFIXES: frozenset[str] = frozenset(s for f in FORMATS for s in f.suffixes)


def has_image_suffix(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def format_names() -> list[str]:
    return [_(f.label) for f in FORMATS]


def supported_formats_text() -> str:
    """'DICOM, PNG, JPEG, BMP, TIFF, GIF, or WebP', in the current language's list style."""
    from babel.lists import format_list

    return format_list(format_names(), style="or", locale=current_language())


def supported_formats_sentence() -> str:
    return _("CXR Desktop opens chest X-rays saved as {formats}.").format(
        formats=supported_formats_text())


def _patterns(suffixes: tuple[str, ...] | frozenset[str]) -> str:
    return " ".join(f"*{s}" for s in sorted(suffixes, key=lambda s: (len(s), s)))


def open_dialog_filter() -> str:
    """The name filter of the Open dialog (Qt's ``;;``-separated syntax)."""
    every = tuple(s for f in FORMATS for s in f.suffixes)
    dicom = FORMATS[0].suffixes
    return ";;".join((
        _("X-ray images ({patterns})").format(patterns=" ".join(f"*{s}" for s in every)),
        _("DICOM files ({patterns})").format(patterns=_patterns(dicom)),
        _("All files ({patterns})").format(patterns="*"),
    ))
