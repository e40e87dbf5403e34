"""The style-shift suite: deterministic, every style really changes the image, and a small version
of it on the shipped model (10 val images per class, every style: a few seconds)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training import augment, styles
from training.data import LABELS, load_images, read_manifest


@pytest.fixture(scope="module")
def small_val(shared_data):
    val = read_manifest(shared_data / "cxr3")["val"]
    idx = np.sort(np.concatenate([np.flatnonzero(val.labels == c)[:10] for c in range(len(LABELS))]))
    small = val.subset(idx)
    from cxr_desktop.core.preprocess import PreprocessSpec

    small.images = load_images(shared_data / "cxr3", small.files, PreprocessSpec(), None)
    return small


def test_styles_are_deterministic_and_change_the_image(small_val):
    a = small_val.images[0]
    for name in styles.STYLES:
        once, again = styles.apply_style(name, a, 3), styles.apply_style(name, a, 3)
        assert np.array_equal(once, again), name
        assert once.shape == a.shape and once.dtype == np.uint8
        assert np.abs(once.astype(int) - a).mean() > 0.3, f"{name} leaves the image as it is"


def test_training_styles_keep_shape_and_type_and_hold_two_suite_families_out(small_val):
    rng = np.random.default_rng(0)
    for family in augment.FAMILIES:
        out = family(small_val.images[1], rng)
        assert out.shape == (224, 224) and out.dtype == np.uint8, family
    assert set(augment.HELD_OUT) <= set(styles.STYLES)
    batch = augment.style_batch(small_val.images[:4], rng, p=1.0)
    assert batch.shape == (4, 224, 224) and not np.array_equal(batch, small_val.images[:4])


def test_small_suite_on_the_shipped_model(shipped_model_dir, small_val):
    """v1 (the shortcut model) fails this: edge enhancement and CLAHE moved ~half its answers."""
    from cxr_desktop.core.inference import Classifier

    clf = Classifier(shipped_model_dir, threads=2)
    result = styles.run_suite(clf, small_val.images, small_val.labels, small_val.pediatric)
    su = result["summary"]
    assert result["clean"]["accuracy"] >= 0.9
    assert su["mean_agreement"] >= 0.95, su
    worst = min(result["styles"].items(), key=lambda kv: kv[1]["agreement_with_clean"])
    assert su["min_agreement"] >= 0.8, worst
    assert su["max_adult_normal_called_covid"] <= 0.25, su
    assert su["min_ood_accepted"] >= 0.9, su
    # The full suite's figures are in metrics.json, one entry per style.
    metrics = json.loads((shipped_model_dir / "metrics.json").read_text())
    assert set(metrics["style_suite"]["styles"]) == set(styles.STYLES)
