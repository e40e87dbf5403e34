"""Which files of a folder are read: one rule for the GUI's folder batch, drops and the CLI.

Every file in the folder and its subfolders (sorted, hidden ones skipped) whose name ends in one
of ``core.formats``'s suffixes; other files too when their first bytes are an image's (DICOM
files often have no extension, or a UID such as ``1.2.840.113619.2.55.1``). A file named as an
image is kept even when damaged, so that it is reported. DICOMDIR index files are skipped.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from cxr_desktop.core.formats import has_image_suffix

MAX_FILES = 100_000
SNIFF_BYTES = 4096
SKIPPED_NAMES = frozenset({"dicomdir"})


def looks_like_image(path: str | os.PathLike[str]) -> bool:
    """By its name, or else by its first bytes."""
    if Path(path).name.lower() in SKIPPED_NAMES:
        return False
    if has_image_suffix(path):
        return True
    from cxr_desktop.core.imaging import sniff_format

    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return False
    return sniff_format(head) is not None


def list_images(folder: str | os.PathLike[str], limit: int = MAX_FILES) -> list[str]:
    """The image files in ``folder`` and its subfolders, sorted, at most ``limit``."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            if os.path.isfile(path) and looks_like_image(path):
                found.append(path)
                if len(found) >= limit:
                    return found
    return found


def expand_paths(items: Iterable[str | os.PathLike[str]], limit: int = MAX_FILES) -> list[str]:
    """Files as given (even when they do not exist: they are reported); folders become their
    image files."""
    result: list[str] = []
    for item in items:
        text = os.fspath(item)
        if os.path.isdir(text):
            result.extend(list_images(text, limit=max(0, limit - len(result))))
        else:
            result.append(text)
        if len(result) >= limit:
            break
    return result


def file_sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()
