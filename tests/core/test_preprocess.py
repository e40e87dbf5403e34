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


EQ = PreprocessSpec(input_size=224, mean=0.5, std=0.29, intensity="equalize")


def _radiograph_like(size: int, seed: int = 0) -> np.ndarray:
    from cxr_desktop.core.inference import synthetic_radiograph

    base = synthetic_radiograph(256).astype(np.float32)
    base += np.random.default_rng(seed).normal(0, 6, base.shape)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(img)


def test_equalize_maps_darkest_to_0_brightest_to_255_and_keeps_order():
    from cxr_desktop.core.preprocess import equalize

    a = _radiograph_like(224)
    e = equalize(a)
    assert e.min() == 0 and e.max() == 255
    order = np.argsort(a.ravel(), kind="stable")
    assert np.all(np.diff(e.ravel()[order].astype(int)) >= 0)  # monotonic in the input
    flat = np.full((20, 20), 77, np.uint8)
    assert np.array_equal(equalize(flat), flat)


@pytest.mark.parametrize("curve", [lambda x: x**0.6, lambda x: x**1.5, lambda x: np.log1p(10 * x) / np.log(11),
                                   lambda x: 0.25 + 0.6 * x])
def test_equalize_makes_a_contrast_curve_nearly_invisible(curve):
    a = _radiograph_like(224)
    lut = np.clip(np.rint(curve(np.arange(256) / 255) * 255), 0, 255).astype(np.uint8)
    plain, curved = preprocess_array(a, SPEC), preprocess_array(lut[a], SPEC)
    eq_plain, eq_curved = preprocess_array(a, EQ), preprocess_array(lut[a], EQ)
    assert np.abs(eq_plain - eq_curved).mean() < 0.25 * np.abs(plain - curved).mean()
    assert np.abs(eq_plain - eq_curved).mean() * EQ.std < 0.02  # within ~5 grey levels on average


def test_standardised_input_does_not_depend_on_the_decoded_resolution():
    """The app may decode a large JPEG at 1/2 .. 1/8 scale (DCT scaling) before preprocess."""
    big = _radiograph_like(2000)
    small = np.asarray(Image.fromarray(big).resize((500, 500), Image.Resampling.BOX))
    a, b = preprocess_array(big, EQ), preprocess_array(small, EQ)
    assert np.abs(a - b).mean() * EQ.std * 255 < 2.0  # under 2 grey levels on average
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.99


def test_intensity_mode_is_checked():
    with pytest.raises(ValueError):
        PreprocessSpec(intensity="sharpen")
    with pytest.raises(ValueError):
        PreprocessSpec(std=float("nan"))
