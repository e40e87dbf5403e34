"""Model latency: the shipped int8 model, its fp32 counterpart and a DenseNet-121, batch 1.

All three run through onnxruntime on the CPU with the same session options as the app
(sequential, one inter-op thread, all graph optimisations) at 1 and 2 intra-op threads;
the figure is the median of >= 100 runs after a warm-up, on one fixed random input.

fp32 counterparts: the training run's own export (runs/cxr3/fp32/model_fp32.onnx) when it is
there and is the export of the shipped model (its logits agree with the int8 model's), and
always the int8 QDQ graph de-quantized here (``dequantize_qdq``; all a fresh clone has): every
DequantizeLinear of a constant int8 weight becomes the float weight, every activation
QuantizeLinear -> DequantizeLinear pair is removed (or becomes a Relu where its range starts at 0:
the quantizer folds a Conv's ReLU into that clipping). Same architecture, fp32 arithmetic.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import REPO_ROOT, Context, Figure, not_measured, stats_ms
from bench.densenet import build_densenet121

FP32_EXPORT = REPO_ROOT / "runs" / "cxr3" / "fp32" / "model_fp32.onnx"
#: Largest logit difference (random inputs) for an fp32 export to count as the int8 model's own.
SAME_MODEL_LOGIT_DIFF = 0.1


def dequantize_qdq(model):
    """An fp32 copy of a QDQ-quantized ONNX model (see the module docstring)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    rename: dict[str, str] = {}
    drop: set[int] = set()
    relus: list = []
    new_inits = []
    for node in graph.node:
        if node.op_type != "DequantizeLinear":
            continue
        source = node.input[0]
        if source in inits:  # a constant: bake the float values in
            values = numpy_helper.to_array(inits[source]).astype(np.float32)
            scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
            zero = (numpy_helper.to_array(inits[node.input[2]]).astype(np.float32)
                    if len(node.input) > 2 and node.input[2] else np.float32(0))
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            if scale.ndim == 1 and scale.size > 1:
                shape = [1] * values.ndim
                shape[axis] = scale.size
                scale = scale.reshape(shape)
                zero = zero.reshape(shape) if np.ndim(zero) else zero
            new_inits.append(numpy_helper.from_array((values - zero) * scale, node.output[0]))
            drop.add(id(node))
        elif source in producer and producer[source].op_type == "QuantizeLinear":
            quant = producer[source]
            if all(c.op_type == "DequantizeLinear" for c in consumers.get(source, [])):
                drop.update((id(node), id(quant)))
                if _clips_at_zero(quant, inits):  # the quantizer folded a ReLU into this pair
                    relus.append(helper.make_node("Relu", [quant.input[0]], [node.output[0]]))
                else:
                    rename[node.output[0]] = quant.input[0]
    relu_at = {r.output[0]: r for r in relus}
    kept = []
    for orig in graph.node:  # in order; a Relu takes the place of the DequantizeLinear it replaces
        if id(orig) not in drop:
            kept.append(orig)
        elif orig.output[0] in relu_at:
            kept.append(relu_at[orig.output[0]])

    def resolve(name: str) -> str:
        while name in rename:
            name = rename[name]
        return name

    for node in kept:
        for i, name in enumerate(node.input):
            node.input[i] = resolve(name)
    outputs = {o.name for o in graph.output}
    for name in sorted(outputs & set(rename)):  # a graph output fed by a removed pair
        kept.append(helper.make_node("Identity", [resolve(name)], [name]))
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in graph.node for name in node.input}
    remaining = [i for i in graph.initializer if i.name in used]
    remaining += [i for i in new_inits if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(remaining)
    del graph.value_info[:]
    onnx.checker.check_model(model)
    return model


def _clips_at_zero(quant, inits) -> bool:
    """Whether a QuantizeLinear's range starts at exactly 0.0 (zero point = the type's minimum):
    then the pair also did a ReLU's work, which an fp32 graph needs as a Relu node."""
    from onnx import numpy_helper

    if len(quant.input) < 3 or quant.input[2] not in inits:
        return True  # no zero point: uint8 with zero point 0
    zero = numpy_helper.to_array(inits[quant.input[2]])
    lowest = np.iinfo(zero.dtype).min if zero.dtype.kind in "iu" else None
    return lowest is not None and bool(np.all(zero == lowest))


def session(path: Path | str, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def measure(path: Path | str, threads: int, size: int, runs: int, warmup: int = 20) -> dict:
    sess = session(path, threads)
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((1, 1, size, size)).astype(np.float32)
    for _ in range(warmup):
        sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, {name: x})
        times.append(time.perf_counter() - t0)
    return stats_ms(times)


def dequantized(int8_path: Path, folder: Path) -> Path:
    import onnx

    out = folder / "dequantized_fp32.onnx"
    onnx.save(dequantize_qdq(onnx.load(str(int8_path))), str(out))
    return out


def agreement(int8_path: Path, fp32_path: Path, size: int, n: int = 8) -> float:
    """Largest |logit difference| between the two on a few random inputs (a sanity check)."""
    a, b = session(int8_path, 1), session(fp32_path, 1)
    names = [o.name for o in a.get_outputs()]
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(n):
        x = rng.standard_normal((1, 1, size, size)).astype(np.float32)
        out_a = a.run(names[:1], {a.get_inputs()[0].name: x})[0]
        out_b = b.run(names[:1], {b.get_inputs()[0].name: x})[0]
        worst = max(worst, float(np.abs(out_a - out_b).max()))
    return worst


def _threads(n: int) -> str:
    return f"{n} thread{'s' * (n > 1)}"


def run(ctx: Context) -> list[Figure]:
    from cxr_desktop.core.errors import ModelError
    from cxr_desktop.core.model_card import load_model_card

    runs = 30 if ctx.quick else 200
    section = "Model latency (batch 1, onnxruntime CPU, median)"
    figures: list[Figure] = []
    details: dict = {"runs_per_figure": runs, "warmup": 20}
    models: list[tuple[str, str, Path, int, str]] = []  # key, label, path, size, note
    with tempfile.TemporaryDirectory(prefix="cxr-latency-") as tmp:
        folder = Path(tmp)
        try:
            card = load_model_card(ctx.model_dir)
            if not card.model_path.is_file():
                raise ModelError("missing", detail=str(card.model_path))
        except ModelError as exc:
            card = None
            why = f"no trained model in {ctx.model_dir} ({exc.detail or exc.message})"
            figures += [not_measured(section, f"int8 model, {_threads(t)}", why, "ms")
                        for t in (1, 2)]
        if card is not None:
            int8, size = card.model_path, card.preprocess.input_size
            models.append(("int8", f"int8 {card.name} {card.version} ({size} px)", int8, size,
                           f"{int8.stat().st_size / 1e6:.2f} MB"))
            if FP32_EXPORT.is_file():
                # Only when it is the export of this very model (a later training run
                # overwrites it): then the logits agree with the int8 model's closely.
                diff = agreement(int8, FP32_EXPORT, size)
                details["int8_vs_training_fp32_max_logit_diff"] = round(diff, 4)
                if diff < SAME_MODEL_LOGIT_DIFF:
                    models.append(("fp32", "fp32, the training run's export", FP32_EXPORT, size,
                                   "runs/cxr3/fp32/model_fp32.onnx"))
            back = dequantized(int8, folder)
            details["int8_vs_dequantized_max_logit_diff"] = round(agreement(int8, back, size), 4)
            models.append(("fp32-dq", "fp32, the int8 graph de-quantized", back, size,
                           "float weights, Q/DQ pairs removed"))
        dense = build_densenet121(folder / "densenet121.onnx")
        models.append(("densenet", "DenseNet-121 fp32 (224 px)", dense, 224,
                       "onnx.helper, random weights, 6.96 M parameters"))
        results: dict[str, dict[int, float]] = {}
        for key, label, path, size, note in models:
            results[key] = {}
            for threads in (1, 2):
                stats = measure(path, threads, size, runs)
                results[key][threads] = stats["median"]
                details[f"{key}_{threads}t_ms"] = {k: round(v, 3) for k, v in stats.items()}
                figures.append(Figure(section, f"{label}, {_threads(threads)}",
                                      round(stats["median"], 2), "ms",
                                      f"{note}; p90 {stats['p90']:.2f}"))
    ctx.details["latency"] = details
    fp32 = "fp32" if "fp32" in results else "fp32-dq"
    labels = {m[0]: m[1] for m in models}
    ratios = [("DenseNet-121 / int8", "densenet", "int8", "how many times faster the shipped model is"),
              ("DenseNet-121 / fp32", "densenet", fp32, labels.get(fp32, "")),
              ("fp32 / int8", fp32, "int8", "what int8 quantization gains")]
    for name, top, bottom, note in ratios:
        if top in results and bottom in results:
            for threads in (1, 2):
                figures.append(Figure(section, f"{name}, {_threads(threads)}",
                                      round(results[top][threads] / results[bottom][threads], 2),
                                      "x", note))
    return figures
