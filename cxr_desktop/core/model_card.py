"""The model card: everything the app needs to know about the model travels with the weights.

``model_card.json`` sits beside the .onnx file. It is validated on load: every field present,
labels unique, every number finite and in its range. The card and the model are bound to each
other both ways: the card records the model file's sha256, and the model's ONNX metadata records
``card_digest`` of the card (everything but the ``sha256`` field), written at export and checked
by the Classifier at load. A card edited by hand, or one from another model, is refused.
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
#: Key of the ONNX metadata entry that holds ``card_digest`` of the model's own card.
CARD_DIGEST_KEY = "cxr_desktop.card_digest"
#: Allowed ranges of the card's numbers (inclusive). A value outside is a damaged card.
TEMPERATURE_RANGE = (0.01, 100.0)
MAX_ABS_LOGIT_BIAS = 50.0
OOD_THRESHOLD_RANGE = (1e-6, 1e9)
COLORFULNESS_RANGE = (0.1, 1000.0)


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


def card_digest(data: dict[str, Any]) -> str:
    """sha256 of the card's canonical JSON without its ``sha256`` field (which names the model
    file, and so cannot be inside the digest the model file carries)."""
    body = {k: v for k, v in data.items() if k != "sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _damaged(detail: str) -> ModelError:
    return ModelError("The model description (model card) is damaged.", detail=detail)


def _number(data: dict[str, Any], key: str, lo: float, hi: float) -> float:
    value = _require(data, key, (int, float))
    if isinstance(value, bool) or not (math.isfinite(value) and lo <= value <= hi):
        raise _damaged(f"{key!r} = {value!r} is outside [{lo}, {hi}]")
    return float(value)


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
    lo, hi = COLORFULNESS_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and lo <= value <= hi):
        raise _damaged(f"bad {key!r}")
    return float(value)


def _ood_scores(ood: dict[str, Any]) -> tuple[OodScore, ...]:
    raw = _require(ood, "scores", list)
    if not raw:
        raise _damaged("no OOD scores")
    scores = []
    for s in raw:
        if not isinstance(s, dict) or not isinstance(s.get("name"), str) or not s["name"]:
            raise _damaged("bad OOD score entry")
        hi = 1.0 if s["name"].endswith("probability") else OOD_THRESHOLD_RANGE[1]
        scores.append(OodScore(s["name"], _number(s, "threshold", OOD_THRESHOLD_RANGE[0], hi)))
    if len({s.name for s in scores}) != len(scores):
        raise _damaged("repeated OOD score names")
    return tuple(scores)


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
    if len(labels) < 2 or not all(isinstance(x, str) and x for x in labels) or len(set(labels)) != len(labels):
        raise _damaged(f"bad labels {labels!r}")
    display = data.get("display_labels", {})
    if not isinstance(display, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in display.items()):
        raise _damaged("bad display_labels")
    size = _require(inp, "size", int)
    if isinstance(size, bool) or not 8 <= size <= 2048:
        raise _damaged(f"bad input size {size!r}")
    try:
        spec = PreprocessSpec(
            input_size=size,
            mean=_number(inp, "mean", 0.0, 1.0),
            std=_number(inp, "std", 0.01, 1.0),
            resample=str(_require(inp, "resample", str)),
            intensity=str(inp.get("intensity", "none")),
        )
    except (TypeError, ValueError) as exc:
        raise _damaged(str(exc)) from exc
    scores = _ood_scores(ood)
    temperature = _number(calibration, "temperature", *TEMPERATURE_RANGE)
    uncertain_below = _number(decision, "uncertain_below", 0.0, 1.0)
    bias_raw = calibration.get("bias", [])
    if not isinstance(bias_raw, list) or (bias_raw and len(bias_raw) != len(labels)):
        raise _damaged("bad bias")
    logit_bias = tuple(_number({"bias": b}, "bias", -MAX_ABS_LOGIT_BIAS, MAX_ABS_LOGIT_BIAS) for b in bias_raw)
    name, version = str(_require(data, "name", str)), str(_require(data, "version", str))
    model_file = str(_require(data, "model_file", str))
    if not name.strip() or not version.strip() or not model_file or Path(model_file).name != model_file:
        raise _damaged("bad name, version or model_file")
    sha = str(_require(data, "sha256", str)).lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise _damaged("bad sha256")
    return ModelCard(
        name=name,
        version=version,
        model_file=model_file,
        sha256=sha,
        labels=labels,
        display_labels=dict(display),
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
