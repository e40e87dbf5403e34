"""The shipped model is the one its card describes, and it reproduces its reported figures."""

from __future__ import annotations

import json

import numpy as np

from cxr_desktop.core.imaging import load_xray
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.model_card import load_model_card, sha256_file


def test_model_file_matches_its_card(shipped_model_dir):
    card = load_model_card(shipped_model_dir)
    assert sha256_file(card.model_path) == card.sha256
    assert card.model_path.stat().st_size <= 5 * 1024 * 1024
    assert card.labels == ("COVID-19", "Normal", "Viral_Pneumonia")
    training = card.raw["training"]
    assert len(training["data_manifest_sha256"]) == 64 and training["code_commit"]


def test_shipped_model_reproduces_reported_val_accuracy(shipped_model_dir, shared_data):
    metrics = json.loads((shipped_model_dir / "metrics.json").read_text())
    cxr3 = shared_data / "cxr3"
    import csv

    with open(cxr3 / "manifest.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["split"] == "val"]
    clf = Classifier(shipped_model_dir, threads=2)
    correct = sum(clf.predict(load_xray(cxr3 / r["file"]), with_heatmap=False).label == r["class"] for r in rows)
    accuracy = correct / len(rows)
    assert len(rows) == metrics["val"]["n"]
    assert abs(accuracy - metrics["val"]["accuracy"]) <= 0.001, (accuracy, metrics["val"]["accuracy"])


def test_samples_are_accepted_and_heatmap_is_at_model_resolution(shipped_model_dir, samples_dir):
    clf = Classifier(shipped_model_dir, threads=1)
    for f in sorted(samples_dir.glob("*/*")):
        image = load_xray(f)
        pred = clf.predict(image)
        assert not pred.out_of_distribution, (f.name, pred.ood_score)
        assert pred.heatmap.ndim == 2 and max(pred.heatmap.shape) < 64 and pred.heatmap.dtype == np.uint8
        assert abs(sum(pred.probabilities) - 1) < 1e-6
