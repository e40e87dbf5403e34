"""A DenseNet-121 in ONNX, built with onnx.helper and numpy (no torch): the speed baseline.

The torchvision layout: 7x7/2 stem with 64 channels, BN, ReLU, 3x3/2 max pool; dense blocks of
6, 12, 24 and 16 layers (growth rate 32, bottleneck 4 x 32 = 128 channels; every layer is
BN-ReLU-Conv1x1-BN-ReLU-Conv3x3 on the concatenation of all earlier features); transitions
BN-ReLU-Conv1x1 (compression 0.5)-AvgPool 2x2/2; final BN-ReLU-global average pool-linear.
Here with 1 input channel and 3 classes (6.96 M parameters). BatchNormalization stays a node, as
in an export of the pre-activation torchvision model (only conv->BN pairs can be folded).
Weights are random (He initialisation), which does not change the speed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

GROWTH = 32
BLOCKS = (6, 12, 24, 16)
BN_SIZE = 4
STEM = 64


def build_densenet121(path: Path, size: int = 224, classes: int = 3, seed: int = 0) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes: list = []
    inits: list = []
    counter = [0]

    def name(kind: str) -> str:
        counter[0] += 1
        return f"{kind}{counter[0]}"

    def conv(x: str, cin: int, cout: int, k: int, stride: int = 1, pad: int = 0) -> str:
        w = name("w")
        std = np.sqrt(2.0 / (cin * k * k))
        inits.append(numpy_helper.from_array(
            (rng.standard_normal((cout, cin, k, k)) * std).astype(np.float32), w))
        out = name("conv")
        nodes.append(helper.make_node("Conv", [x, w], [out], kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[pad] * 4))
        return out

    def bn_relu(x: str, channels: int) -> str:
        params = [name(p) for p in ("scale", "bias", "mean", "var")]
        values = [np.ones(channels), np.zeros(channels), np.zeros(channels), np.ones(channels)]
        for p, v in zip(params, values):
            inits.append(numpy_helper.from_array(v.astype(np.float32), p))
        bn, relu = name("bn"), name("relu")
        nodes.append(helper.make_node("BatchNormalization", [x, *params], [bn], epsilon=1e-5))
        nodes.append(helper.make_node("Relu", [bn], [relu]))
        return relu

    x = conv("image", 1, STEM, 7, stride=2, pad=3)
    x = bn_relu(x, STEM)
    pooled = name("pool")
    nodes.append(helper.make_node("MaxPool", [x], [pooled], kernel_shape=[3, 3], strides=[2, 2],
                                  pads=[1, 1, 1, 1]))
    features, channels = [pooled], STEM
    for b, layers in enumerate(BLOCKS):
        for _ in range(layers):
            if len(features) == 1:
                cat = features[0]
            else:
                cat = name("cat")
                nodes.append(helper.make_node("Concat", features, [cat], axis=1))
            y = conv(bn_relu(cat, channels), channels, BN_SIZE * GROWTH, 1)
            y = conv(bn_relu(y, BN_SIZE * GROWTH), BN_SIZE * GROWTH, GROWTH, 3, pad=1)
            features.append(y)
            channels += GROWTH
        cat = name("cat")
        nodes.append(helper.make_node("Concat", features, [cat], axis=1))
        if b < len(BLOCKS) - 1:
            y = conv(bn_relu(cat, channels), channels, channels // 2, 1)
            channels //= 2
            avg = name("avg")
            nodes.append(helper.make_node("AveragePool", [y], [avg], kernel_shape=[2, 2],
                                          strides=[2, 2]))
            features = [avg]
        else:
            features = [cat]
    y = bn_relu(features[0], channels)
    gap, flat = name("gap"), name("flat")
    nodes.append(helper.make_node("GlobalAveragePool", [y], [gap]))
    nodes.append(helper.make_node("Flatten", [gap], [flat], axis=1))
    inits.append(numpy_helper.from_array(
        (rng.standard_normal((channels, classes)) * 0.01).astype(np.float32), "fc_w"))
    inits.append(numpy_helper.from_array(np.zeros(classes, np.float32), "fc_b"))
    nodes.append(helper.make_node("Gemm", [flat, "fc_w", "fc_b"], ["logits"]))
    graph = helper.make_graph(
        nodes, "densenet121",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def parameter_count(path: Path) -> int:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    skip = ("mean", "var")  # running statistics are buffers, not parameters
    return sum(
        int(np.prod(numpy_helper.to_array(i).shape))
        for i in model.graph.initializer
        if not i.name.startswith(skip)
    )
