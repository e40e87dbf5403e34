"""Classifier: one onnxruntime session over the shipped model, driven by its model card.

The ONNX model takes ``image`` (N, 1, S, S) float32 and returns
  logits      (N, K)       raw class scores (calibrated here: logits / temperature + bias, from the card)
  cam         (N, K, h, w) class-activation maps (last feature map x linear head weights)
  ood_scores  (N, M)       raw out-of-distribution scores, one per entry of the card's ``ood.scores``
Each OOD score is divided by its threshold; the largest ratio is ``Prediction.ood_score`` and an
image is out of distribution when it exceeds 1. A colour check joins in when the card sets
``ood.max_colorfulness``: radiographs are grey even when saved as RGB. A DICOM header that names
another modality, body part or a lateral view also rules the image out (``header_check``).

At load the Classifier refuses a model it cannot trust, with a ModelError that names the model
(never the image): a card not bound to the model (``model_card.CARD_DIGEST_KEY``), outputs whose
sizes do not match the card's labels and OOD scores, or a model that gives non-finite numbers on
a built-in synthetic radiograph (the self-test). A model that gives non-finite numbers for an
image later is refused the same way, so no NaN ever reaches a reading.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from cxr_desktop.core.errors import ModelError
from cxr_desktop.core.header_check import header_conflict
from cxr_desktop.core.model_card import (
    CARD_DIGEST_KEY,
    ModelCard,
    card_digest,
    load_model_card,
    sha256_file,
)
from cxr_desktop.core.preprocess import preprocess, preprocess_array
from cxr_desktop.core.reading_limits import cautions_for
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


def synthetic_radiograph(size: int = 256) -> np.ndarray:
    """A chest-radiograph-like uint8 test image: bright body, two dark lung fields, a spine."""
    c = (np.arange(size) + 0.5) / size
    x, y = c[None, :], c[:, None]
    body = 0.55 + 0.35 * np.exp(-(((x - 0.5) / 0.45) ** 2 + ((y - 0.55) / 0.6) ** 2) * 2)
    lungs = sum(np.exp(-(((x - cx) / 0.13) ** 2 + ((y - 0.48) / 0.25) ** 2) * 2) for cx in (0.3, 0.7))
    spine = np.exp(-(((x - 0.5) / 0.04) ** 2)) * 0.2
    return np.clip((body - 0.45 * lungs + spine) * 255, 0, 255).astype(np.uint8)


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
        self._check_binding()
        self._check_signature()
        self._self_test()

    def _mismatch(self, detail: str) -> ModelError:
        card = self.card
        return ModelError("The AI model does not match its description. Please reinstall CXR Desktop.",
                          detail=f"model {card.name} {card.version} ({card.model_path}): {detail}")

    def _invalid(self, detail: str) -> ModelError:
        card = self.card
        return ModelError("The AI model gives invalid results, so it will not be used. Please reinstall CXR Desktop.",
                          detail=f"model {card.name} {card.version} ({card.model_path}): {detail}")

    def _check_binding(self) -> None:
        """The model carries the digest of its own card (written at export)."""
        recorded = self.session.get_modelmeta().custom_metadata_map.get(CARD_DIGEST_KEY)
        expected = card_digest(self.card.raw)
        if recorded != expected:
            raise self._mismatch(f"card digest {expected} != model's {recorded!r}")

    def _check_signature(self) -> None:
        card = self.card
        inputs = {i.name: i.shape for i in self.session.get_inputs()}
        outputs = {o.name: o.shape for o in self.session.get_outputs()}
        wanted = {card.logits_output, card.cam_output, card.ood_output}
        if card.input_name not in inputs or not wanted <= set(outputs):
            raise self._mismatch(f"inputs {sorted(inputs)}, outputs {sorted(outputs)}")
        k, m = len(card.labels), len(card.ood_scores)
        for name, axis, size in ((card.logits_output, 1, k), (card.cam_output, 1, k), (card.ood_output, 1, m)):
            shape = outputs[name]
            if len(shape) <= axis or (isinstance(shape[axis], int) and shape[axis] != size):
                raise self._mismatch(f"output {name} has shape {shape}, the card needs {size} on axis {axis}")

    def _self_test(self) -> None:
        """One inference on a built-in synthetic radiograph: shapes as the card says, all finite."""
        logits, cam, ood = self.run(preprocess_array(synthetic_radiograph(), self.card.preprocess))
        k, m = len(self.card.labels), len(self.card.ood_scores)
        if logits.shape != (1, k) or cam.ndim != 4 or cam.shape[:2] != (1, k) or ood.shape != (1, m):
            raise self._mismatch(f"self-test shapes logits {logits.shape}, cam {cam.shape}, ood {ood.shape}")
        self._check_finite(logits, cam, ood)

    def _check_finite(self, logits: np.ndarray, cam: np.ndarray, ood: np.ndarray) -> np.ndarray:
        card = self.card
        probs = softmax(logits[0], card.temperature, card.logit_bias)
        for name, values in (("logits", logits), ("cam", cam), ("ood_scores", ood), ("probabilities", probs)):
            if not np.isfinite(values).all():
                raise self._invalid(f"non-finite {name}")
        return probs

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
        probs = self._check_finite(logits, cam, ood_raw)
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
            cautions=cautions_for(image.metadata),
        )
