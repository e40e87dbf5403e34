"""Classifier: one onnxruntime session over the shipped model, driven by its model card.

The ONNX model takes ``image`` (N, 1, S, S) float32 and returns
  logits      (N, K)       raw class scores (calibrated here: logits / temperature + bias, from the card)
  cam         (N, K, h, w) class-activation maps (last feature map x linear head weights)
  ood_scores  (N, M)       raw out-of-distribution scores, one per entry of the card's ``ood.scores``
Each OOD score is divided by its threshold; the largest ratio is ``Prediction.ood_score`` and an
image is out of distribution when it exceeds 1. A colour check joins in when the card sets
``ood.max_colorfulness``: radiographs are grey even when saved as RGB. A DICOM header that names
another modality, body part or a lateral view also rules the image out (``header_check``).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from cxr_desktop.core.errors import ModelError
from cxr_desktop.core.header_check import header_conflict
from cxr_desktop.core.model_card import ModelCard, load_model_card, sha256_file
from cxr_desktop.core.preprocess import preprocess
from cxr_desktop.core.types import Prediction, XrayImage

log = logging.getLogger(__name__)


def softmax(logits: np.ndarray, temperature: float = 1.0, bias=None) -> np.ndarray:
    z = logits.astype(np.float64) / temperature
    if bias is not None and len(bias):
        z = z + np.asarray(bias, dtype=np.float64)
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def heatmap_u8(cam: np.ndarray) -> np.ndarray:
    """One class-activation map (h, w) -> uint8 (h, w) at the model's resolution, 0 = no
    evidence, 255 = most. It is scaled once, where it is drawn or stored."""
    cam = np.nan_to_num(np.maximum(cam.astype(np.float32), 0.0))
    peak = float(cam.max())
    scaled = (cam / peak * 255.0) if peak > 1e-12 else np.zeros_like(cam)
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


class Classifier:
    """Loads the model once; ``predict`` is thread-safe (onnxruntime sessions are)."""

    def __init__(self, model_dir: Path | str, threads: int | None = None, verify_sha256: bool = True):
        import onnxruntime as ort

        self.card: ModelCard = load_model_card(Path(model_dir))
        path = self.card.model_path
        if not path.is_file():
            raise ModelError("The AI model file is missing. Please reinstall CXR Desktop.", detail=str(path))
        if verify_sha256:
            actual = sha256_file(path)
            if actual != self.card.sha256:
                raise ModelError(
                    "The AI model file is damaged or was replaced, so it will not be used. "
                    "Please reinstall CXR Desktop.",
                    detail=f"{path}: sha256 {actual} != card {self.card.sha256}",
                )
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads or os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.threads = options.intra_op_num_threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(
                "The AI model could not be loaded. Please reinstall CXR Desktop.", detail=f"{path}: {exc}"
            ) from exc
        self._check_signature()

    def _check_signature(self) -> None:
        card = self.card
        inputs = {i.name for i in self.session.get_inputs()}
        outputs = {o.name for o in self.session.get_outputs()}
        wanted = {card.logits_output, card.cam_output, card.ood_output}
        if card.input_name not in inputs or not wanted <= outputs:
            raise ModelError(
                "The AI model does not match its description. Please reinstall CXR Desktop.",
                detail=f"inputs {sorted(inputs)}, outputs {sorted(outputs)}",
            )

    @property
    def labels(self) -> tuple[str, ...]:
        return self.card.labels

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw model outputs (logits, cam, ood_scores) for a preprocessed batch (N, 1, S, S)."""
        card = self.card
        logits, cam, ood = self.session.run(
            [card.logits_output, card.cam_output, card.ood_output], {card.input_name: batch}
        )
        return logits, cam, ood

    def ood_ratio(self, ood_raw: np.ndarray) -> np.ndarray:
        """Raw OOD scores (N, M) -> (N,) largest score/threshold ratio; > 1 is out of distribution."""
        thresholds = np.array([s.threshold for s in self.card.ood_scores], dtype=np.float64)
        return (ood_raw.astype(np.float64) / thresholds).max(axis=1)

    def predict(self, image: XrayImage, with_heatmap: bool = True) -> Prediction:
        card = self.card
        t0 = time.perf_counter()
        batch = preprocess(image, card.preprocess)
        t1 = time.perf_counter()
        logits, cam, ood_raw = self.run(batch)
        t2 = time.perf_counter()
        probs = softmax(logits[0], card.temperature, card.logit_bias)
        top = int(np.argmax(probs))
        ood_score = float(self.ood_ratio(ood_raw)[0])
        ood_reason = header_conflict(image.metadata)
        if card.max_colorfulness is not None:  # a colourful picture is not a radiograph
            colour = image.metadata.colorfulness / card.max_colorfulness
            if colour > 1.0 and ood_reason is None:
                ood_reason = "The picture is in colour; X-rays are grey."
            ood_score = max(ood_score, colour)
        heatmap = heatmap_u8(cam[0, top]) if with_heatmap else None
        t3 = time.perf_counter()
        return Prediction(
            labels=card.labels,
            probabilities=tuple(float(p) for p in probs),
            label=card.labels[top],
            confidence=float(probs[top]),
            uncertain=bool(probs[top] < card.uncertain_below),
            out_of_distribution=bool(ood_score > 1.0 or ood_reason is not None),
            ood_score=ood_score,
            heatmap=heatmap,
            model_name=card.name,
            model_version=card.version,
            model_sha256=card.sha256,
            timings_ms={
                "preprocess": (t1 - t0) * 1e3,
                "inference": (t2 - t1) * 1e3,
                "postprocess": (t3 - t2) * 1e3,
                "total": (t3 - t0) * 1e3,
            },
            ood_reason=ood_reason,
        )
