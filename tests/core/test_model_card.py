from __future__ import annotations

import json

import pytest

from cxr_desktop.core.errors import ModelError
from cxr_desktop.core.model_card import load_model_card, parse_model_card


def _card(tiny_model_dir):
    return json.loads((tiny_model_dir / "model_card.json").read_text())


def test_loads_from_folder_or_file(tiny_model_dir):
    a = load_model_card(tiny_model_dir)
    b = load_model_card(tiny_model_dir / "model_card.json")
    assert a.labels == b.labels and a.model_path == tiny_model_dir / "tiny.onnx"
    assert a.preprocess.input_size == 224 and a.preprocess.resample == "bilinear"
    assert a.display_label("Viral_Pneumonia") == "Viral Pneumonia"
    assert a.max_colorfulness is None


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.pop("labels"),
        lambda c: c.update(labels=["only"]),
        lambda c: c.update(schema_version=99),
        lambda c: c["calibration"].update(temperature=0),
        lambda c: c["calibration"].update(bias=[0.1, 0.2]),  # one offset per label
        lambda c: c["calibration"].update(bias=[0.0, float("nan"), 0.0]),
        lambda c: c["calibration"].update(bias="big"),
        lambda c: c["decision"].update(uncertain_below=1.5),
        lambda c: c["ood"].update(scores=[{"name": "x", "threshold": -1}]),
        lambda c: c["ood"].update(max_colorfulness="lots"),
        lambda c: c["input"].update(resample="magic"),
        lambda c: c["input"].update(std=0),
        lambda c: c.update(sha256="abc"),
        # issue 14: every one of these was accepted before
        lambda c: c.update(labels=["Normal", "Normal", "Normal"]),
        lambda c: c["calibration"].update(temperature=1e-300),
        lambda c: c["calibration"].update(temperature=float("inf")),
        lambda c: c["calibration"].update(bias=[1e308, -1e308, 0.0]),
        lambda c: c["input"].update(std=float("nan")),
        lambda c: c["input"].update(mean=float("nan")),
        lambda c: c["input"].update(size=True),
        lambda c: c["input"].update(intensity="magic"),
        lambda c: c["ood"].update(scores=[{"name": "x", "threshold": 1e-300}]),
        lambda c: c["ood"].update(scores=[{"name": "x", "threshold": float("nan")}]),
        lambda c: c["ood"].update(scores=[{"name": "outlier_probability", "threshold": 5.0}]),
        lambda c: c["ood"].update(scores=[]),
        lambda c: c["ood"].update(max_colorfulness=1e-300),
        lambda c: c["decision"].update(uncertain_below=float("nan")),
        lambda c: c.update(model_file="../elsewhere.onnx"),
        lambda c: c.update(display_labels={"Normal": 3}),
    ],
)
def test_damaged_cards_are_refused(tiny_model_dir, change):
    card = _card(tiny_model_dir)
    change(card)
    with pytest.raises(ModelError):
        parse_model_card(card, tiny_model_dir)


def test_card_digest_ignores_only_the_sha256_field(tiny_model_dir):
    from cxr_desktop.core.model_card import card_digest

    card = _card(tiny_model_dir)
    same = dict(card, sha256="f" * 64)
    assert card_digest(card) == card_digest(same)
    assert card_digest(card) != card_digest(dict(card, labels=list(reversed(card["labels"]))))


def test_unreadable_card(tmp_path):
    (tmp_path / "model_card.json").write_text("{ not json")
    with pytest.raises(ModelError, match="damaged"):
        load_model_card(tmp_path)
