"""The model card: everything the app needs to know about the model travels with the weights.

``model_card.json`` sits beside the .onnx file. It is validated on load; a card that is missing
fields, or whose model file does not hash to the recorded sha256, is refused with ModelError.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxr_desktop.core.errors import ModelError
from cxr_desktop.core.preprocess import PreprocessSpec

CARD_FILENAME = "model_card.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class OodScore:
    """One raw out-of-distribution score the model outputs, and where it starts to mean 'not a CXR'."""

    name: str
    threshold: float


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    model_file: str
    sha256: str
    labels: tuple[str, ...]
    display_labels: dict[str, str]
    preprocess: PreprocessSpec
    input_name: str
    logits_output: str
    cam_output: str
    ood_output: str
    temperature: float
    uncertain_below: float
    ood_scores: tuple[OodScore, ...]
    folder: Path
    #: Images more colourful than this (ImageMetadata.colorfulness) are not radiographs; None: no check.
    max_colorfulness: float | None = None
    #: Per-class logit offsets added after the temperature (bias-corrected temperature scaling);
    #: empty: none.
    logit_bias: tuple[float, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def model_path(self) -> Path:
        return self.folder / self.model_file

    def display_label(self, label: str) -> str:
        return self.display_labels.get(label, label.replace("_", " "))


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise ModelError("The model description (model card) is incomplete.", detail=f"missing {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise ModelError("The model description (model card) is damaged.", detail=f"{key!r} has wrong type")
    return value


def _optional_positive(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        raise ModelError("The model description (model card) is damaged.", detail=f"bad {key!r}")
    return float(value)


def parse_model_card(data: dict[str, Any], folder: Path) -> ModelCard:
    if not isinstance(data, dict):
        raise ModelError("The model description (model card) is damaged.", detail="not a JSON object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ModelError(
            "The model description was made for a different version of CXR Desktop.",
            detail=f"schema_version {data.get('schema_version')!r} != {SCHEMA_VERSION}",
        )
    inp = _require(data, "input", dict)
    outputs = _require(data, "outputs", dict)
    calibration = _require(data, "calibration", dict)
    decision = _require(data, "decision", dict)
    ood = _require(data, "ood", dict)
    labels = tuple(_require(data, "labels", list))
    if len(labels) < 2 or not all(isinstance(x, str) and x for x in labels):
        raise ModelError("The model description (model card) is damaged.", detail="bad labels")
    try:
        spec = PreprocessSpec(
            input_size=int(_require(inp, "size", int)),
            mean=float(_require(inp, "mean", (int, float))),
            std=float(_require(inp, "std", (int, float))),
            resample=str(_require(inp, "resample", str)),
        )
        scores = tuple(
            OodScore(str(s["name"]), float(s["threshold"])) for s in _require(ood, "scores", list)
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError("The model description (model card) is damaged.", detail=str(exc)) from exc
    temperature = float(_require(calibration, "temperature", (int, float)))
    uncertain_below = float(_require(decision, "uncertain_below", (int, float)))
    if not (temperature > 0 and math.isfinite(temperature)) or not 0 <= uncertain_below <= 1:
        raise ModelError("The model description (model card) is damaged.", detail="bad temperature/threshold")
    try:
        logit_bias = tuple(float(b) for b in calibration.get("bias", []))
    except (TypeError, ValueError) as exc:
        raise ModelError("The model description (model card) is damaged.", detail="bad bias") from exc
    if logit_bias and (len(logit_bias) != len(labels) or not all(map(math.isfinite, logit_bias))):
        raise ModelError("The model description (model card) is damaged.", detail="bad bias")
    if any(not (s.threshold > 0 and math.isfinite(s.threshold)) for s in scores):
        raise ModelError("The model description (model card) is damaged.", detail="bad OOD threshold")
    sha = str(_require(data, "sha256", str)).lower()
    if len(sha) != 64:
        raise ModelError("The model description (model card) is damaged.", detail="bad sha256")
    return ModelCard(
        name=str(_require(data, "name", str)),
        version=str(_require(data, "version", str)),
        model_file=str(_require(data, "model_file", str)),
        sha256=sha,
        labels=labels,
        display_labels=dict(data.get("display_labels", {})),
        preprocess=spec,
        input_name=str(inp.get("name", "image")),
        logits_output=str(outputs.get("logits", "logits")),
        cam_output=str(outputs.get("cam", "cam")),
        ood_output=str(outputs.get("ood_scores", "ood_scores")),
        temperature=temperature,
        uncertain_below=uncertain_below,
        ood_scores=scores,
        folder=folder,
        max_colorfulness=_optional_positive(ood, "max_colorfulness"),
        logit_bias=logit_bias,
        raw=data,
    )


def load_model_card(path: Path) -> ModelCard:
    """Load ``model_card.json`` (or the folder holding it) and validate it. Raises ModelError."""
    path = Path(path)
    card_path = path / CARD_FILENAME if path.is_dir() else path
    try:
        data = json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(
            "The AI model is missing. Please reinstall CXR Desktop.", detail=f"{card_path} not found"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(
            "The model description (model card) is damaged. Please reinstall CXR Desktop.",
            detail=f"{card_path}: {exc}",
        ) from exc
    return parse_model_card(data, card_path.parent)
