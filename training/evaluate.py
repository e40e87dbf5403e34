"""Evaluation of the model exactly as shipped, through the app's own loader and Classifier.

Metrics: accuracy, balanced accuracy, per-class sensitivity/specificity/PPV/F1 with 95% CIs
(Wilson for proportions, bootstrap for F1 and AUC), one-vs-rest ROC AUC, confusion matrix,
ECE before/after temperature scaling, referral rate and accuracy of accepted cases, the
age-shortcut probe, out-of-distribution acceptance/rejection rates.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image

from cxr_desktop.core.imaging import load_xray_bytes
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.types import ImageMetadata, XrayImage
from training.calibrate import ece, softmax


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    if n == 0:
        return [float("nan"), float("nan")]
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return [max(0.0, centre - half), min(1.0, centre + half)]


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) statistic, ties averaged."""
    pos, neg = scores[positive], scores[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allscores = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(order):  # average ranks over ties
        j = i
        while j + 1 < len(order) and allscores[j + 1] == allscores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def f1(pred: np.ndarray, y: np.ndarray, c: int) -> float:
    tp = int(((pred == c) & (y == c)).sum())
    fp = int(((pred == c) & (y != c)).sum())
    fn = int(((pred != c) & (y == c)).sum())
    return 2 * tp / max(1, 2 * tp + fp + fn)


def classification_metrics(y: np.ndarray, probs: np.ndarray, labels: tuple[str, ...],
                           bootstrap: int = 1000, seed: int = 0) -> dict:
    pred = probs.argmax(1)
    n, k = len(y), len(labels)
    rng = np.random.default_rng(seed)
    boots = [rng.integers(0, n, n) for _ in range(bootstrap)]
    confusion = np.zeros((k, k), int)
    np.add.at(confusion, (y, pred), 1)
    out = {
        "n": n,
        "accuracy": float((pred == y).mean()), "accuracy_ci95": wilson(int((pred == y).sum()), n),
        "confusion_matrix": {"rows_true_cols_pred": list(labels), "counts": confusion.tolist()},
        "per_class": {},
    }
    sens = []
    for c, name in enumerate(labels):
        tp, fn = int(confusion[c, c]), int(confusion[c].sum() - confusion[c, c])
        fp = int(confusion[:, c].sum() - confusion[c, c])
        tn = n - tp - fn - fp
        f1s = [f1(pred[b], y[b], c) for b in boots]
        aucs = [auc(probs[b, c], y[b] == c) for b in boots]
        sens.append(tp / max(1, tp + fn))
        out["per_class"][name] = {
            "support": tp + fn,
            "sensitivity": tp / max(1, tp + fn), "sensitivity_ci95": wilson(tp, tp + fn),
            "specificity": tn / max(1, tn + fp), "specificity_ci95": wilson(tn, tn + fp),
            "ppv": tp / max(1, tp + fp), "ppv_ci95": wilson(tp, tp + fp),
            "f1": f1(pred, y, c), "f1_ci95": [float(np.nanpercentile(f1s, 2.5)), float(np.nanpercentile(f1s, 97.5))],
            "roc_auc": auc(probs[:, c], y == c),
            "roc_auc_ci95": [float(np.nanpercentile(aucs, 2.5)), float(np.nanpercentile(aucs, 97.5))],
        }
    out["balanced_accuracy"] = float(np.mean(sens))
    return out


def array_image(gray: np.ndarray) -> XrayImage:
    """An in-memory 8-bit image, as load_xray would return for a grayscale PNG of it."""
    h, w = gray.shape
    return XrayImage(pixels=gray, display=gray, metadata=ImageMetadata("PNG", w, h, 8, "L"))


def run_on_files(classifier: Classifier, files: list[Path]) -> dict[str, np.ndarray]:
    """Each file read the way the app reads it: the one path of ``cxr_desktop.service``
    (loader, fast decode, Classifier), nothing saved."""
    from cxr_desktop.service.reading import ReadingService

    service = ReadingService(classifier, None)
    probs, ood, ms = [], [], []
    for f in files:
        p = service.read_file(f, save=False).prediction
        probs.append(p.probabilities)
        ood.append(p.ood_score)
        ms.append(p.timings_ms["inference"])
    return {"probs": np.array(probs), "ood": np.array(ood), "ms": np.array(ms)}


def encoded_image(array: np.ndarray) -> XrayImage:
    """An in-memory image (grey or RGB) saved as PNG and opened the way the app opens files."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return load_xray_bytes(buf.getvalue(), "negative.png")


def run_on_arrays(classifier: Classifier, arrays: list[np.ndarray] | np.ndarray, encode: bool = False) -> np.ndarray:
    """OOD ratio for each in-memory image (``encode``: through a PNG file and the app's loader)."""
    make = encoded_image if encode else array_image
    return np.array([classifier.predict(make(a), with_heatmap=False).ood_score for a in arrays])


def evaluate_split(classifier: Classifier, data_dir: Path, split, labels: tuple[str, ...]) -> tuple[dict, dict]:
    """Metrics of the shipped model on a manifest split; returns (metrics, raw outputs)."""
    raw = run_on_files(classifier, [data_dir / f for f in split.files])
    y, probs, ood = split.labels, raw["probs"], raw["ood"]
    t, bias = classifier.card.temperature, np.array(classifier.card.logit_bias or [0.0] * len(labels))
    uncalibrated = softmax((np.log(np.clip(probs, 1e-300, None)) - bias) * t)  # back to T = 1, b = 0
    metrics = classification_metrics(y, probs, labels)
    conf = probs.max(1)
    uncertain = conf < classifier.card.uncertain_below
    accepted_cls = ~uncertain
    normal, viral = labels.index("Normal"), labels.index("Viral_Pneumonia")
    pred = probs.argmax(1)
    ped = (y == normal) & split.pediatric
    adult = (y == normal) & ~split.pediatric
    metrics.update({
        "ece_before_calibration": ece(uncalibrated, y), "ece_after_calibration": ece(probs, y),
        "referral": {
            "uncertain_below": classifier.card.uncertain_below,
            "referral_rate": float(uncertain.mean()),
            "accepted_accuracy": float((pred[accepted_cls] == y[accepted_cls]).mean()) if accepted_cls.any() else None,
            "accepted_accuracy_ci95": wilson(int((pred[accepted_cls] == y[accepted_cls]).sum()), int(accepted_cls.sum())),
        },
        "age_shortcut_probe": {
            "pediatric_normal_called_viral": float((pred[ped] == viral).mean()) if ped.any() else None,
            "pediatric_normal_called_viral_ci95": wilson(int((pred[ped] == viral).sum()), int(ped.sum())),
            "pediatric_normal_n": int(ped.sum()),
            "adult_normal_called_viral": float((pred[adult] == viral).mean()) if adult.any() else None,
            "adult_normal_called_viral_ci95": wilson(int((pred[adult] == viral).sum()), int(adult.sum())),
            "adult_normal_n": int(adult.sum()),
        },
        "ood_accepted_rate": float((ood <= 1.0).mean()),
        "ood_accepted_ci95": wilson(int((ood <= 1.0).sum()), len(ood)),
        "inference_ms_median": float(np.median(raw["ms"])),
    })
    return metrics, {"y": y, "probs": probs, "uncalibrated": uncalibrated, "ood": ood}


def ood_rejection(classifier: Classifier, names: list[str], arrays, encode: bool = False) -> dict:
    scores = run_on_arrays(classifier, arrays, encode)
    per_kind = {}
    for kind in sorted(set(names)):
        m = np.array([n == kind for n in names])
        per_kind[kind] = {"n": int(m.sum()), "rejected": float((scores[m] > 1.0).mean())}
    rejected = int((scores > 1.0).sum())
    return {"n": len(scores), "rejected_rate": rejected / len(scores), "rejected_ci95": wilson(rejected, len(scores)),
            "per_kind": per_kind, "scores": scores}
