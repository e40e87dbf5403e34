"""The style-shift suite: deterministic, every style really changes the image, and a small version
of it on the shipped model (10 val images per class, every style: a few seconds) that must give
the figures the pipeline recorded for it in metrics.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training import augment, styles
from training.data import load_images, read_manifest

pytest.importorskip("torch")  # training.pipeline (for its small-suite selection) imports torch

from training.pipeline import small_suite_indices  # noqa: E402


@pytest.fixture(scope="module")
def small_val(shared_data):
    from cxr_desktop.core.preprocess import PreprocessSpec

    val = read_manifest(shared_data / "cxr3")["val"]
    small = val.subset(small_suite_indices(val))
    small.images = load_images(shared_data / "cxr3", small.files, PreprocessSpec(), None)
    return small


def test_styles_are_deterministic_and_change_the_image(small_val):
    a = small_val.images[0]
    for name in styles.STYLES:
        once, again = styles.apply_style(name, a, 3), styles.apply_style(name, a, 3)
        assert np.array_equal(once, again), name
        assert once.shape == a.shape and once.dtype == np.uint8
        assert np.abs(once.astype(int) - a).mean() > 0.3, f"{name} leaves the image as it is"


def test_training_styles_keep_shape_and_type_and_hold_a_suite_family_out(small_val):
    rng = np.random.default_rng(0)
    for family in augment.FAMILIES:
        out = family(small_val.images[1], rng)
        assert out.shape == (224, 224) and out.dtype == np.uint8, family
    assert augment.HELD_OUT and set(augment.HELD_OUT) <= set(styles.STYLES)
    batch = augment.style_batch(small_val.images[:4], rng, p=1.0)
    assert batch.shape == (4, 224, 224) and not np.array_equal(batch, small_val.images[:4])


def test_small_suite_on_the_shipped_model_gives_the_recorded_figures(shipped_model_dir, small_val):
    from cxr_desktop.core.inference import Classifier

    clf = Classifier(shipped_model_dir, threads=2)
    result = styles.run_suite(clf, small_val.images, small_val.labels, small_val.pediatric)
    metrics = json.loads((shipped_model_dir / "metrics.json").read_text())
    recorded = metrics["style_suite_small"]
    assert set(result["styles"]) == set(recorded["styles"]) == set(metrics["style_suite"]["styles"]) == set(styles.STYLES)
    one_image = 1.0 / len(small_val)
    for name, got in [("clean", result["clean"])] + list(result["styles"].items()):
        want = recorded["clean"] if name == "clean" else recorded["styles"][name]
        for key in ("accuracy", "agreement_with_clean", "ood_accepted"):
            assert abs(got[key] - want[key]) <= one_image + 1e-9, (name, key, got[key], want[key])
    assert result["clean"]["accuracy"] >= 0.9
    assert result["summary"]["mean_agreement"] >= 0.9, result["summary"]
