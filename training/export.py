"""Export to ONNX (opset 17) and quantize to static int8 QDQ with onnxruntime.

Recipe (measured on this CPU, see shared notes): shape-inference pre-processing first, then
static QDQ, per-channel int8 weights, uint8 activations, MinMax calibration on real training
images preprocessed exactly as the app does. Only the convolutions of the backbone (and the
ops between them) are quantized; the CAM, the linear head and the OOD scores stay fp32 (tiny,
and they need the precision).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from training.model import ExportWrapper


def export_onnx(wrapper: ExportWrapper, path: Path, input_size: int) -> Path:
    wrapper = wrapper.eval().float()
    dummy = torch.zeros(1, 1, input_size, input_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper, (dummy,), str(path), input_names=["image"], output_names=["logits", "cam", "ood_scores"],
            dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}, "cam": {0: "N"}, "ood_scores": {0: "N"}},
            opset_version=17, dynamo=False, do_constant_folding=True,
        )
    return path


class _Reader:
    """onnxruntime CalibrationDataReader over preprocessed float32 tensors."""

    def __init__(self, batches: np.ndarray) -> None:
        self.items = iter([{"image": b[None]} for b in batches])

    def get_next(self):
        return next(self.items, None)


def backbone_nodes_to_exclude(model_path: Path) -> list[str]:
    """Names of every node downstream of the global average pool (head, CAM, OOD scores)."""
    import onnx

    model = onnx.load(str(model_path))
    nodes = list(model.graph.node)
    consumers: dict[str, list] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    # The last Relu before the pool / CAM conv: its output is consumed by the pooling and by the CAM conv.
    cam_conv = next(n for n in nodes if "cam" in n.output)
    fmap = cam_conv.input[0]
    excluded, frontier = set(), [n for n in consumers.get(fmap, [])]
    while frontier:
        node = frontier.pop()
        if node.name in excluded:
            continue
        excluded.add(node.name)
        for out in node.output:
            frontier.extend(consumers.get(out, []))
    return sorted(excluded)


def quantize_int8(fp32_path: Path, int8_path: Path, calibration: np.ndarray) -> Path:
    """calibration: float32 (N, 1, S, S) preprocessed training images."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = fp32_path.with_name(fp32_path.stem + "_pre.onnx")
    quant_pre_process(str(fp32_path), str(pre), skip_symbolic_shape=True)
    quantize_static(
        str(pre), str(int8_path), _Reader(calibration),
        quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        reduce_range=True,  # 7-bit weights: no saturation on CPUs without VNNI (old clinic PCs)
        calibrate_method=CalibrationMethod.MinMax,
        nodes_to_exclude=backbone_nodes_to_exclude(pre),
        extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
    )
    pre.unlink(missing_ok=True)
    return int8_path
