from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from cxr_desktop.core.errors import ModelError
from cxr_desktop.core.inference import Classifier, heatmap_u8, softmax
from cxr_desktop.core.types import ImageMetadata, XrayImage


def _image(value: int = 128, shape=(300, 400), colorfulness: float = 0.0) -> XrayImage:
    a = np.full(shape, value, np.uint8)
    a[50:100, 60:200] = 200
    meta = ImageMetadata("PNG", shape[1], shape[0], 8, "L", colorfulness=colorfulness)
    return XrayImage(pixels=a, display=a, metadata=meta)


def _copy(tiny_model_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    return folder


def _edit_card(folder, change):
    path = folder / "model_card.json"
    card = json.loads(path.read_text())
    change(card)
    path.write_text(json.dumps(card))


def test_predict_gives_calibrated_probabilities_heatmap_and_timings(tiny_model_dir):
    clf = Classifier(tiny_model_dir, threads=1)
    image = _image()
    p = clf.predict(image)
    assert p.labels == ("COVID-19", "Normal", "Viral_Pneumonia")
    assert abs(sum(p.probabilities) - 1) < 1e-9
    assert p.label == p.labels[int(np.argmax(p.probabilities))]
    assert p.confidence == max(p.probabilities)
    assert p.heatmap.ndim == 2 and max(p.heatmap.shape) <= 32 and p.heatmap.dtype == np.uint8  # model resolution
    assert p.model_name == "tiny-test-model" and len(p.model_sha256) == 64
    assert set(p.timings_ms) >= {"preprocess", "inference", "total"} and p.total_ms > 0
    assert not p.out_of_distribution and p.ood_score <= 1.0
    assert clf.threads == 1


def test_without_heatmap(tiny_model_dir):
    assert Classifier(tiny_model_dir, threads=1).predict(_image(), with_heatmap=False).heatmap is None


def test_saturated_image_is_out_of_distribution(tiny_model_dir):
    p = Classifier(tiny_model_dir, threads=1).predict(_image(255))
    assert p.out_of_distribution and p.ood_score > 1.0


def test_temperature_and_uncertain_threshold_come_from_the_card(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    base = Classifier(folder, threads=1).predict(_image())
    _edit_card(folder, lambda c: c["calibration"].update(temperature=100.0))
    _edit_card(folder, lambda c: c["decision"].update(uncertain_below=0.99))
    hot = Classifier(folder, threads=1).predict(_image())
    assert max(hot.probabilities) < max(base.probabilities)  # flatter
    assert hot.uncertain


def test_class_offsets_come_from_the_card(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    base = Classifier(folder, threads=1).predict(_image())
    _edit_card(folder, lambda c: c["calibration"].update(bias=[3.0, 0.0, 0.0]))
    shifted = Classifier(folder, threads=1).predict(_image())
    ratio = lambda p: p.probabilities[0] / p.probabilities[1]  # noqa: E731
    assert ratio(shifted) == pytest.approx(ratio(base) * np.exp(3.0), rel=1e-6)
    assert abs(sum(shifted.probabilities) - 1) < 1e-9


def test_colour_check_from_card(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    _edit_card(folder, lambda c: c["ood"].update(max_colorfulness=15.0))
    clf = Classifier(folder, threads=1)
    assert not clf.predict(_image(colorfulness=3.0)).out_of_distribution
    photo = clf.predict(_image(colorfulness=60.0))
    assert photo.out_of_distribution and photo.ood_score == pytest.approx(4.0)


def test_swapped_or_corrupt_model_file_is_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    data = bytearray((folder / "tiny.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "tiny.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelError) as err:
        Classifier(folder)
    assert "damaged or was replaced" in str(err.value)


def test_missing_model_file_and_card(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    (folder / "tiny.onnx").unlink()
    with pytest.raises(ModelError, match="missing"):
        Classifier(folder)
    with pytest.raises(ModelError, match="missing"):
        Classifier(tmp_path / "nowhere")


def test_unloadable_model_with_matching_hash_is_refused(tiny_model_dir, tmp_path):
    import hashlib

    folder = _copy(tiny_model_dir, tmp_path)
    (folder / "tiny.onnx").write_bytes(b"not an onnx model")
    sha = hashlib.sha256(b"not an onnx model").hexdigest()
    _edit_card(folder, lambda c: c.update(sha256=sha))
    with pytest.raises(ModelError, match="could not be loaded"):
        Classifier(folder)


def test_model_outputs_not_matching_card_are_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    _edit_card(folder, lambda c: c["outputs"].update(cam="heat"))
    with pytest.raises(ModelError, match="does not match"):
        Classifier(folder)


def test_predict_is_thread_safe(tiny_model_dir):
    from concurrent.futures import ThreadPoolExecutor

    clf = Classifier(tiny_model_dir, threads=1)
    expected = clf.predict(_image()).probabilities
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: clf.predict(_image()).probabilities, range(16)))
    assert all(np.allclose(r, expected) for r in results)


def test_softmax_and_heatmap_helpers():
    p = softmax(np.array([[1.0, 2.0, 3.0]]), temperature=2.0)
    assert p.shape == (1, 3) and abs(p.sum() - 1) < 1e-12 and p[0, 2] > p[0, 0]
    cam = np.zeros((7, 7), np.float32)
    cam[3, 3] = 5.0
    h = heatmap_u8(cam)
    assert h.shape == (7, 7) and h.dtype == np.uint8 and h[3, 3] == 255 and h[0, 0] == 0
    assert heatmap_u8(-np.ones((7, 7))).max() == 0
    assert heatmap_u8(np.full((7, 7), np.nan)).max() == 0
