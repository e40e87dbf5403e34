from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cxr_desktop.core.preprocess import PreprocessSpec, normalize, preprocess_array, squash

SPEC = PreprocessSpec(input_size=224, mean=0.5, std=0.25)


def test_input_size_image_is_untouched():
    a = np.random.default_rng(0).integers(0, 256, (224, 224), dtype=np.uint8)
    assert np.array_equal(squash(a, SPEC), a)


def test_whole_image_is_squashed_not_cropped():
    a = np.zeros((300, 900), np.uint8)
    a[:, :300] = 255  # left third white
    out = squash(a, SPEC)
    assert out.shape == (224, 224)
    assert out[:, :70].min() > 200 and out[:, 80:].max() < 60  # the left third stays a third


def test_squash_uses_the_card_filter():
    a = np.random.default_rng(1).integers(0, 256, (500, 400), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(a).resize((224, 224), Image.Resampling.BILINEAR))
    assert np.array_equal(squash(a, SPEC), expected)


def test_normalize_and_tensor_shape():
    x = preprocess_array(np.full((10, 20), 255, np.uint8), SPEC)
    assert x.shape == (1, 1, 224, 224) and x.dtype == np.float32
    assert np.allclose(x, (1.0 - 0.5) / 0.25)
    assert np.allclose(normalize(np.array([0, 255], np.uint8), SPEC), [-2.0, 2.0])


def test_rejects_wrong_input():
    with pytest.raises(ValueError):
        squash(np.zeros((10, 10, 3), np.uint8), SPEC)
    with pytest.raises(ValueError):
        PreprocessSpec(resample="nope")
