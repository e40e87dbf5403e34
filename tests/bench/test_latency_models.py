"""The models the latency bench compares: the de-quantized fp32 counterpart and DenseNet-121."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from bench.densenet import build_densenet121, parameter_count  # noqa: E402
from bench.latency import dequantize_qdq, session  # noqa: E402


def _small_convnet(path: Path) -> Path:
    """conv-relu-conv-relu-pool-gemm with a second output, like the app's model has several."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((8, 1, 3, 3)).astype(np.float32) * 0.5, "w1"),
        numpy_helper.from_array(rng.standard_normal(8).astype(np.float32) * 0.1, "b1"),
        numpy_helper.from_array(rng.standard_normal((16, 8, 3, 3)).astype(np.float32) * 0.2, "w2"),
        numpy_helper.from_array(rng.standard_normal(16).astype(np.float32) * 0.1, "b2"),
        numpy_helper.from_array(rng.standard_normal((16, 3)).astype(np.float32), "fc"),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["fmap"]),
        helper.make_node("GlobalAveragePool", ["fmap"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("MatMul", ["flat", "fc"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "small",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3]),
         helper.make_tensor_value_info("fmap", TensorProto.FLOAT, [1, 16, 16, 16])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_dequantized_qdq_model_has_no_qdq_and_matches_fp32(tmp_path: Path) -> None:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    fp32 = _small_convnet(tmp_path / "fp32.onnx")
    rng = np.random.default_rng(1)
    batches = iter([{"image": rng.random((1, 1, 32, 32), dtype=np.float32)} for _ in range(16)])

    class Reader:
        def get_next(self):
            return next(batches, None)

    int8 = tmp_path / "int8.onnx"
    quantize_static(str(fp32), str(int8), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
    quantized = onnx.load(str(int8))
    assert any(n.op_type == "QuantizeLinear" for n in quantized.graph.node)
    back = dequantize_qdq(quantized)
    assert not any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in back.graph.node)
    assert all(i.data_type == TensorProto.FLOAT for i in back.graph.initializer)
    onnx.save(back, str(tmp_path / "back.onnx"))
    x = rng.random((1, 1, 32, 32), dtype=np.float32)
    want = session(fp32, 1).run(None, {"image": x})
    got = session(tmp_path / "back.onnx", 1).run(None, {"image": x})
    for a, b in zip(want, got):  # only the weights' rounding remains (7-bit per channel)
        assert np.abs(a - b).max() <= 0.02 * max(1.0, np.abs(a).max())


def test_densenet121_shape_and_parameters(tmp_path: Path) -> None:
    path = build_densenet121(tmp_path / "d.onnx")
    assert 6.9e6 < parameter_count(path) < 7.0e6  # torchvision's 7.98 M less the 1000-class head
    out = session(path, 1).run(None, {"image": np.zeros((1, 1, 224, 224), np.float32)})[0]
    assert out.shape == (1, 3) and np.isfinite(out).all()
