"""issue 13: a colour picture keeps its colours for the viewer (also through the decode guard's
worker process); the model's grey ``display`` is unchanged, and grey pictures get no copy."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cxr_desktop.core.decode_guard import DecodeGuard
from cxr_desktop.core.imaging import load_xray, load_xray_bytes


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def photo() -> np.ndarray:
    rgb = np.zeros((300, 400, 3), np.uint8)
    rgb[..., 0] = 200
    rgb[:150, :, 2] = 255
    return rgb


def test_colour_kept_beside_the_grey_display(photo):
    image = load_xray_bytes(_png(photo), "photo.png")
    grey = load_xray_bytes(_png(np.asarray(Image.fromarray(photo).convert("L"))), "grey.png")
    assert image.color is not None and image.color.shape == (300, 400, 3)
    assert np.array_equal(image.color, photo)
    assert image.display.ndim == 2  # what the model sees is grey, as before
    assert grey.color is None
    stored_as_rgb = np.repeat(np.asarray(Image.fromarray(photo).convert("L"))[..., None], 3, 2)
    assert load_xray_bytes(_png(stored_as_rgb), "rgb-grey.png").color is None


def test_the_fast_path_gives_colour_at_the_display_size(photo):
    image = load_xray_bytes(_png(np.tile(photo, (4, 4, 1))), "big.png", min_side=300)
    assert image.color.shape[:2] == image.display.shape


def test_colour_comes_back_through_the_decode_guard(photo, tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(_png(photo))
    with DecodeGuard(time_limit_s=30.0) as guard:
        image = guard.load(path)
    assert image.color is not None and np.array_equal(image.color, load_xray(path).color)
