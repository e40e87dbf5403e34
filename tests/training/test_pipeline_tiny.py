"""The whole training pipeline, end to end on a tiny subset, so it never rots (well under 2 minutes)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")

from cxr_desktop.core.imaging import load_xray  # noqa: E402
from cxr_desktop.core.inference import Classifier  # noqa: E402
from cxr_desktop.core.model_card import load_model_card, sha256_file  # noqa: E402
from training import pipeline  # noqa: E402


@pytest.mark.slow
def test_pipeline_end_to_end_on_tiny_subset(shared_data, tmp_path):
    out, work = tmp_path / "model", tmp_path / "work"
    rc = pipeline.main([
        "--data", str(shared_data / "cxr3"), "--out", str(out), "--work", str(work),
        "--limit", "24", "--epochs", "1", "--width", "8", "--blocks", "1,1,1,1", "--negatives", "36",
        "--threads", "2",
    ])
    assert rc == 0
    for name in ("cxr3_resnet_int8.onnx", "model_card.json", "metrics.json", "MODEL_CARD.md",
                 "confusion_matrix.png", "reliability.png", "training_curves.png", "ood_scores.png",
                 "style_suite.png", "heatmap_sanity.png"):
        assert (out / name).is_file(), name
    card = load_model_card(out)
    assert card.sha256 == sha256_file(out / card.model_file)
    assert card.labels == ("COVID-19", "Normal", "Viral_Pneumonia")
    assert card.temperature > 0 and 0 <= card.uncertain_below <= 1
    assert [s.name for s in card.ood_scores] == ["mahalanobis", "outlier_probability"]
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("val", "fp32", "ood", "samples_full_resolution", "training", "style_suite", "source_probe",
                "heatmap_sanity"):
        assert key in metrics
    assert set(metrics["style_suite"]["styles"]) >= {"unsharp_vendor", "clahe", "equalize", "jpeg_q15"}
    assert card.preprocess.intensity == "equalize"
    assert set(metrics["val"]["per_class"]) == set(card.labels)
    assert "age_shortcut_probe" in metrics["val"]
    # The exported model runs in the app, with a CAM at the model's resolution.
    sample = sorted((shared_data / "samples" / "Normal").iterdir())[0]
    image = load_xray(sample)
    pred = Classifier(out, threads=1).predict(image)
    assert abs(sum(pred.probabilities) - 1) < 1e-6
    assert pred.heatmap.ndim == 2 and max(pred.heatmap.shape) < 64
    # Resumable: a second run with the same work dir resumes from the checkpoint instead of retraining.
    ckpt = work / "train" / "checkpoint.pt"
    assert ckpt.is_file()
    mtime = ckpt.stat().st_mtime_ns
    from training.data import read_manifest
    from training.train import TrainConfig, train

    cfg = TrainConfig(width=8, blocks=(1, 1, 1, 1), epochs=1, seed=0, threads=2)
    split = read_manifest(shared_data / "cxr3")["val"].subset(np.arange(64))
    split.images = np.zeros((64, 224, 224), np.uint8)
    _, history = train(cfg, split, split, np.zeros((2, 224, 224), np.uint8), card.preprocess, work / "train")
    assert history == metrics["training"]["history"]  # nothing retrained
    assert ckpt.stat().st_mtime_ns == mtime
    # The card is bound to the model: it loaded above, and an edit is refused.
    from cxr_desktop.core.errors import ModelError

    edited = json.loads((out / "model_card.json").read_text())
    edited["decision"]["uncertain_below"] = 0.0
    (out / "model_card.json").write_text(json.dumps(edited))
    with pytest.raises(ModelError, match="does not match"):
        Classifier(out, threads=1)
