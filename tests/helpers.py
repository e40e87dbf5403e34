"""Test helpers: a tiny ONNX model with the shipped model's inputs and outputs, and image writers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

LABELS = ["COVID-19", "Normal", "Viral_Pneumonia"]


def build_tiny_model(folder: Path, input_size: int = 224, uncertain_below: float = 0.6) -> Path:
    """Write tiny.onnx + model_card.json into ``folder``; returns the folder.

    The graph: 32x32 average pooling gives a 7x7 'feature map'; a 1x1 conv with 3 outputs gives
    the CAM; its spatial mean gives the logits. The OOD scores are the image's mean absolute
    value and a constant, so a uniform mid-grey image is in distribution and a saturated one is not.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    pool = input_size // 7
    w = np.array([[1.5], [-0.5], [-1.0]], dtype=np.float32).reshape(3, 1, 1, 1)
    b = np.array([0.1, 0.2, -0.1], dtype=np.float32)
    nodes = [
        helper.make_node("AveragePool", ["image"], ["feat"], kernel_shape=[pool, pool], strides=[pool, pool]),
        helper.make_node("Conv", ["feat", "w", "b"], ["cam"]),
        helper.make_node("ReduceMean", ["cam"], ["logits4"], axes=[2, 3], keepdims=1),
        helper.make_node("Flatten", ["logits4"], ["logits"], axis=1),
        helper.make_node("Abs", ["image"], ["absx"]),
        helper.make_node("ReduceMean", ["absx"], ["m4"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Flatten", ["m4"], ["m"], axis=1),
        helper.make_node("Mul", ["m", "zero"], ["m0"]),
        helper.make_node("Add", ["m0", "half"], ["c"]),
        helper.make_node("Concat", ["m", "c"], ["ood_scores"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, input_size, input_size])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("cam", TensorProto.FLOAT, ["N", 3, 7, 7]),
            helper.make_tensor_value_info("ood_scores", TensorProto.FLOAT, ["N", 2]),
        ],
        initializer=[
            numpy_helper.from_array(w, "w"),
            numpy_helper.from_array(b, "b"),
            numpy_helper.from_array(np.zeros((1, 1), np.float32), "zero"),
            numpy_helper.from_array(np.full((1, 1), 0.5, np.float32), "half"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = folder / "tiny.onnx"
    onnx.save(model, str(path))
    card = {
        "schema_version": 1,
        "name": "tiny-test-model",
        "version": "0.0.1",
        "model_file": "tiny.onnx",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "labels": LABELS,
        "display_labels": {"Viral_Pneumonia": "Viral Pneumonia"},
        "input": {"name": "image", "size": input_size, "mean": 0.5, "std": 0.25, "resample": "bilinear"},
        "outputs": {"logits": "logits", "cam": "cam", "ood_scores": "ood_scores"},
        "calibration": {"temperature": 1.0},
        "decision": {"uncertain_below": uncertain_below},
        # mean |x| of a mid-grey image is ~0 after normalisation; a white or black one is 2.
        "ood": {"scores": [{"name": "mean_abs", "threshold": 1.5}, {"name": "const", "threshold": 1.0}]},
    }
    (folder / "model_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    bind(folder)  # the card's digest into the model's metadata, the model's sha256 into the card
    return folder


def bind(folder: Path) -> None:
    """Re-bind a model folder after a test edited its card on purpose (see core.model_card)."""
    from training.bind import bind as bind_card

    bind_card(folder)
