"""The app and training must feed the model bit-identical tensors for the same file."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cxr_desktop.core.imaging import load_xray  # noqa: E402
from cxr_desktop.core.preprocess import PreprocessSpec, preprocess  # noqa: E402
from training.data import (  # noqa: E402
    load_images,
    model_input_np,
    read_manifest,
    standardize_batch,
    to_model_input,
)

SPEC = PreprocessSpec(input_size=224, mean=0.4878, std=0.2975, resample="bilinear", intensity="equalize")
PLAIN = PreprocessSpec(input_size=224, mean=0.5196, std=0.2484, resample="bilinear")


def _training_tensor(folder, files, spec=SPEC):
    u8 = load_images(folder, files, spec, cache_dir=None)
    torch_path = to_model_input(torch.from_numpy(standardize_batch(u8, spec)), spec).numpy()
    assert np.array_equal(torch_path, model_input_np(u8, spec))  # the two training paths agree
    return torch_path


def test_training_png_gives_bit_identical_tensor(shared_data):
    cxr3 = shared_data / "cxr3"
    split = read_manifest(cxr3)["val"]
    files = [split.files[i] for i in (0, len(split) // 2, len(split) - 1)]
    train_path = _training_tensor(cxr3, files)
    for i, f in enumerate(files):
        app = preprocess(load_xray(cxr3 / f), SPEC)
        assert app.shape == (1, 1, 224, 224) and app.dtype == np.float32
        assert np.array_equal(app[0], train_path[i]), f


def test_training_png_is_used_as_published(shared_data):
    """224x224 training PNGs are not resampled: squash is the identity for them."""
    from PIL import Image

    f = shared_data / "cxr3" / read_manifest(shared_data / "cxr3")["train"].files[0]
    with Image.open(f) as img:
        raw = np.asarray(img.convert("L"))
    app = preprocess(load_xray(f), PLAIN)[0, 0]
    assert np.array_equal(app, ((raw.astype(np.float32) * np.float32(1 / 255) - np.float32(PLAIN.mean))
                                * np.float32(1 / PLAIN.std)))


def test_full_resolution_sample_same_in_both_paths(samples_dir):
    f = sorted(samples_dir.glob("COVID-19/*"))[0]
    for spec in (SPEC, PLAIN):
        train_path = _training_tensor(f.parent, [f.name], spec)
        assert np.array_equal(preprocess(load_xray(f), spec)[0], train_path[0])


def test_augmented_path_quantises_then_standardises_like_the_app():
    """An augmented float image, once rounded to 8 bits, is standardised exactly as the app would."""
    from cxr_desktop.core.preprocess import preprocess_array
    from training.data import standardize_unit

    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (2, 224, 224), dtype=np.uint8)
    unit = torch.from_numpy(u8).float()[:, None] / 255.0
    train_input = to_model_input(standardize_unit(unit, SPEC), SPEC, already_unit=True).numpy()
    for i in range(2):
        assert np.allclose(train_input[i], preprocess_array(u8[i], SPEC)[0], atol=1e-5)
