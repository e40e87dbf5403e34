from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from cxr_desktop.core.errors import ModelError
from cxr_desktop.core.inference import Classifier, heatmap_u8, softmax
from cxr_desktop.core.types import ImageMetadata, XrayImage
from tests.helpers import bind


def _image(value: int = 128, shape=(300, 400), colorfulness: float = 0.0) -> XrayImage:
    a = np.full(shape, value, np.uint8)
    a[50:100, 60:200] = 200
    meta = ImageMetadata("PNG", shape[1], shape[0], 8, "L", colorfulness=colorfulness)
    return XrayImage(pixels=a, display=a, metadata=meta)


def _copy(tiny_model_dir, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    return folder


def _edit_card(folder, change, rebind: bool = True):
    """Change the card; ``rebind`` as the export would (else the edit is a tampered card)."""
    path = folder / "model_card.json"
    card = json.loads(path.read_text())
    change(card)
    path.write_text(json.dumps(card))
    if rebind:
        bind(folder)


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
    _edit_card(folder, lambda c: c.update(sha256=sha), rebind=False)
    with pytest.raises(ModelError, match="could not be loaded"):
        Classifier(folder)


def test_model_outputs_not_matching_card_are_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    _edit_card(folder, lambda c: c["outputs"].update(cam="heat"))
    with pytest.raises(ModelError, match="does not match"):
        Classifier(folder)


@pytest.mark.parametrize("change", [
    lambda c: c.update(labels=["Normal", "COVID-19", "Viral_Pneumonia"]),  # swapped order
    lambda c: c["calibration"].update(temperature=0.5),
    lambda c: c["decision"].update(uncertain_below=0.0),
    lambda c: c["ood"]["scores"][0].update(threshold=1e6),
    lambda c: c.update(intended_use="anything"),
])
def test_a_card_edited_by_hand_is_not_bound_to_the_model_and_is_refused(tiny_model_dir, tmp_path, change):
    folder = _copy(tiny_model_dir, tmp_path)
    _edit_card(folder, change, rebind=False)
    with pytest.raises(ModelError, match="does not match its description") as err:
        Classifier(folder)
    assert "tiny-test-model" in err.value.detail and "card digest" in err.value.detail


def _rewrite_model(folder, change_graph):
    import onnx

    path = folder / "tiny.onnx"
    model = onnx.load(str(path))
    change_graph(model.graph)
    onnx.save(model, str(path))
    bind(folder)


def test_a_model_with_more_outputs_than_labels_is_refused_at_load(tiny_model_dir, tmp_path):
    import onnx
    from onnx import numpy_helper

    def five_logits(graph):
        w = np.zeros((5, 1, 1, 1), np.float32)
        for init in graph.initializer:
            if init.name == "w":
                init.CopyFrom(numpy_helper.from_array(w, "w"))
            if init.name == "b":
                init.CopyFrom(numpy_helper.from_array(np.zeros(5, np.float32), "b"))
        for out in graph.output:
            if out.name in ("logits", "cam"):
                out.type.tensor_type.shape.dim[1].dim_value = 5
        assert onnx  # the graph stays valid ONNX

    folder = _copy(tiny_model_dir, tmp_path)
    _rewrite_model(folder, five_logits)
    with pytest.raises(ModelError, match="does not match its description") as err:
        Classifier(folder)
    assert "tiny-test-model" in err.value.detail


def test_a_model_that_outputs_nan_is_refused_at_load_not_blamed_on_an_image(tiny_model_dir, tmp_path):
    from onnx import numpy_helper

    def nan_bias(graph):
        for init in graph.initializer:
            if init.name == "b":
                init.CopyFrom(numpy_helper.from_array(np.full(3, np.nan, np.float32), "b"))

    folder = _copy(tiny_model_dir, tmp_path)
    _rewrite_model(folder, nan_bias)
    with pytest.raises(ModelError, match="gives invalid results") as err:
        Classifier(folder)
    assert "tiny-test-model" in err.value.detail and "non-finite" in err.value.detail


def test_non_finite_output_for_one_image_raises_a_model_error(tiny_model_dir):
    clf = Classifier(tiny_model_dir, threads=1)
    real_run = clf.run
    clf.run = lambda batch: tuple(np.full_like(o, np.inf) if i == 2 else o for i, o in enumerate(real_run(batch)))
    with pytest.raises(ModelError, match="gives invalid results"):
        clf.predict(_image())


def test_self_test_image_looks_like_a_radiograph():
    from cxr_desktop.core.inference import synthetic_radiograph

    a = synthetic_radiograph()
    assert a.dtype == np.uint8 and a.shape == (256, 256)
    assert a[120, 75] < a[120, 128] and a[120, 180] < a[120, 128]  # dark lungs either side of the spine


def test_cautions_come_from_the_header(tiny_model_dir):
    clf = Classifier(tiny_model_dir, threads=1)
    a = np.full((300, 400), 128, np.uint8)
    child = XrayImage(a, a, ImageMetadata("DICOM", 400, 300, 8, "MONOCHROME2", patient_age="006Y"))
    adult = XrayImage(a, a, ImageMetadata("DICOM", 400, 300, 8, "MONOCHROME2", patient_age="045Y"))
    assert len(clf.predict(child, with_heatmap=False).cautions) == 1
    assert clf.predict(adult, with_heatmap=False).cautions == ()
    assert clf.predict(_image(), with_heatmap=False).cautions == ()


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
