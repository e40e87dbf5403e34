"""Bind a model card and its ONNX model to each other (see ``cxr_desktop.core.model_card``).

The card's digest (everything but its ``sha256`` field) goes into the ONNX metadata, then the
model file's sha256 into the card. Needs only ``onnx``; the training pipeline and the tests' tiny
model both use it.
"""

from __future__ import annotations

import json
from pathlib import Path

from cxr_desktop.core.model_card import CARD_DIGEST_KEY, CARD_FILENAME, card_digest, sha256_file


def bind(folder: Path, card: dict | None = None) -> dict:
    """Write ``card`` (default: the folder's model_card.json) bound to its model file; returns it."""
    import onnx

    folder = Path(folder)
    path = folder / CARD_FILENAME
    card = dict(card if card is not None else json.loads(path.read_text(encoding="utf-8")))
    card["sha256"] = "0" * 64  # not part of the digest
    model_path = folder / card["model_file"]
    model = onnx.load(str(model_path))
    props = [p for p in model.metadata_props if p.key != CARD_DIGEST_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(props)
    model.metadata_props.add(key=CARD_DIGEST_KEY, value=card_digest(card))
    onnx.save(model, str(model_path))
    card["sha256"] = sha256_file(model_path)
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
