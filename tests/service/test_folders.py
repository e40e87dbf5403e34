"""One listing rule for folders (GUI batch, drops, CLI) and one table of formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cxr_desktop.core.formats import (
    FORMATS,
    IMAGE_SUFFIXES,
    open_dialog_filter,
    supported_formats_text,
)
from cxr_desktop.service.folders import expand_paths, list_images


def test_list_images_by_name_and_by_content_recursively(tmp_path: Path) -> None:
    from tests.core.dicom_factory import make_dataset, write

    (tmp_path / "a.PNG").write_bytes(b"x")  # named as an image: kept (it will be reported)
    (tmp_path / "b.txt").write_bytes(b"x")
    (tmp_path / "manifest.csv").write_text("file,class\n")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "IM0001", make_dataset(np.zeros((32, 32), np.uint16)))  # no suffix
    (tmp_path / "sub" / "DICOMDIR").write_bytes((tmp_path / "sub" / "IM0001").read_bytes())
    Image.new("L", (20, 20)).save(tmp_path / "sub" / "photo.webp")
    found = [Path(p).name for p in list_images(tmp_path)]
    assert found == ["a.PNG", "IM0001", "photo.webp"]
    assert [Path(p).name for p in expand_paths([tmp_path / "b.txt", tmp_path])][:2] == ["b.txt", "a.PNG"]


def test_every_format_is_offered_and_named() -> None:
    names = {f.name for f in FORMATS}
    assert names == {"DICOM", "PNG", "JPEG", "BMP", "TIFF", "GIF", "WEBP"}
    dialog = open_dialog_filter()
    for suffix in IMAGE_SUFFIXES:
        assert f"*{suffix}" in dialog.split(";;")[0]
    assert supported_formats_text() == "DICOM, PNG, JPEG, BMP, TIFF, GIF, or WebP"
