"""One command from ../shared/data/cxr3 to the shipped model in assets/model/.

    python -m training.pipeline --data ../shared/data/cxr3 --out assets/model

Steps: read the manifest and carve a calibration split out of train (by group) -> cache images
-> train (resumable, in --work) -> export ONNX fp32 -> quantize int8 -> fit temperature,
abstention and OOD thresholds on the calibration split with the int8 model -> write the model
card -> evaluate the shipped int8 model through the app's Classifier -> metrics.json, plots,
MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.model_card import CARD_FILENAME, SCHEMA_VERSION, sha256_file
from cxr_desktop.core.preprocess import PreprocessSpec, normalize
from training import calibrate, evaluate, negatives, plots, report
from training.data import LABELS, Split, carve_by_group, load_images, manifest_sha256, read_manifest
from training.export import export_onnx, quantize_int8
from training.model import ExportWrapper
from training.train import TrainConfig, predict_logits, train

MODEL_NAME = "cxr3-resnet"
MODEL_VERSION = "1.0.0"
MODEL_FILE = "cxr3_resnet_int8.onnx"
INPUT_SIZE = 224
RESAMPLE = "bilinear"
MAX_COLORFULNESS = 15.0  # grey radiographs stored as RGB score ~0; most photos and screenshots > 20


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "training", "cxr_desktop"],
                               capture_output=True, text=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def limit_split(split: Split, per_class: int, seed: int) -> Split:
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.permutation(np.flatnonzero(split.labels == c))[:per_class] for c in range(len(LABELS))])
    return split.subset(np.sort(idx))


def raw_outputs(model_path: Path, images: np.ndarray, spec: PreprocessSpec) -> tuple[np.ndarray, np.ndarray]:
    """(logits, raw ood scores) of an ONNX model on uint8 images preprocessed like the app does."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    logits, ood = [], []
    for i in range(0, len(images), 64):
        out = session.run(["logits", "ood_scores"], {"image": normalize(images[i:i + 64], spec)[:, None]})
        logits.append(out[0]), ood.append(out[1])
    return np.concatenate(logits), np.concatenate(ood)


def write_card(folder: Path, model_file: str, spec: PreprocessSpec, temperature: float, bias: list[float],
               uncertain_below: float, ood_thresholds: dict[str, float], extra: dict) -> Path:
    card = {
        "schema_version": SCHEMA_VERSION,
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "model_file": model_file,
        "sha256": sha256_file(folder / model_file),
        "labels": list(LABELS),
        "display_labels": {"COVID-19": "COVID-19", "Normal": "Normal", "Viral_Pneumonia": "Viral Pneumonia"},
        "input": {"name": "image", "size": spec.input_size, "channels": 1, "layout": "NCHW",
                  "mean": spec.mean, "std": spec.std, "resample": spec.resample,
                  "pixels": "8-bit display grey levels (bright bone), whole image squashed to size x size"},
        "outputs": {"logits": "logits", "cam": "cam", "ood_scores": "ood_scores"},
        "calibration": {"temperature": temperature, "bias": bias,
                        "method": "softmax(logits / temperature + bias), both fitted by NLL on the calibration split"},
        "decision": {"uncertain_below": uncertain_below},
        "ood": {"scores": [{"name": k, "threshold": v} for k, v in ood_thresholds.items()],
                "max_colorfulness": MAX_COLORFULNESS,
                "rule": "out of distribution when any score exceeds its threshold, or the original "
                        "image is more colourful than max_colorfulness (Hasler-Suesstrunk)"},
        **extra,
    }
    path = folder / CARD_FILENAME
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="cxr3 folder (default: $CXR_DATA_DIR/cxr3 or ../shared/data/cxr3)")
    ap.add_argument("--out", type=Path, default=Path("assets/model"))
    ap.add_argument("--work", type=Path, default=Path("runs/cxr3"), help="checkpoints, caches, fp32 model")
    ap.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    ap.add_argument("--width", type=int, default=TrainConfig.width)
    ap.add_argument("--blocks", type=str, default=",".join(map(str, TrainConfig.blocks)))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--negatives", type=int, default=3600, help="synthetic outlier-exposure images")
    ap.add_argument("--limit", type=int, default=0, help="use at most N images per class and split (tests)")
    ap.add_argument("--calib-fraction", type=float, default=0.12)
    ap.add_argument("--target-accuracy", type=float, default=0.996,
                    help="accepted calibration cases must be this accurate: 0.1 pt above the 99.5%% goal, "
                         "because ~800 calibration images estimate it with a few errors either way")
    ap.add_argument("--ood-quantile", type=float, default=0.998)
    ap.add_argument("--ood-margin", type=float, default=1.3)
    args = ap.parse_args(argv)
    t_start = time.time()

    from cxr_desktop import paths

    data_dir = args.data or paths.shared_data_dir() / "cxr3"
    out, work = args.out, args.work
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "cache"
    torch.set_num_threads(args.threads)

    splits = read_manifest(data_dir)
    train_all, val = splits["train"], splits["val"]
    if args.limit:
        train_all, val = limit_split(train_all, args.limit, args.seed), limit_split(val, args.limit, args.seed)
    train_split, calib = carve_by_group(train_all, args.calib_fraction, args.seed)
    base_spec = PreprocessSpec(input_size=INPUT_SIZE, resample=RESAMPLE)
    for s in (train_split, calib, val):
        s.images = load_images(data_dir, s.files, base_spec, cache)
    unit = train_split.images.astype(np.float64) / 255.0
    spec = PreprocessSpec(INPUT_SIZE, round(float(unit.mean()), 4), round(float(unit.std()), 4), RESAMPLE)
    del unit
    print(f"train {len(train_split)}, calib {len(calib)}, val {len(val)}; mean {spec.mean} std {spec.std}", file=sys.stderr)

    neg_cache = cache / f"negatives_{args.negatives}_{INPUT_SIZE}.npy"
    if neg_cache.is_file():
        neg_train = np.load(neg_cache)
    else:
        neg_train, _ = negatives.synthetic_bank(args.negatives, seed=1, squash_to=INPUT_SIZE)
        cache.mkdir(parents=True, exist_ok=True)
        np.save(neg_cache, neg_train)

    cfg = TrainConfig(width=args.width, blocks=tuple(int(b) for b in args.blocks.split(",")), epochs=args.epochs,
                      seed=args.seed, threads=args.threads, device=args.device)
    model, history = train(cfg, train_split, val, neg_train, spec, work / "train")
    train_seconds = sum(h["seconds"] for h in history)  # also right when resumed from a checkpoint
    t_trained = time.time()

    # Mahalanobis statistics from the (clean) training features, then the export.
    _, _, f_train = predict_logits(model, train_split.images, spec, torch.device("cpu"))
    maha = calibrate.fit_mahalanobis(f_train, train_split.labels)
    wrapper = ExportWrapper(model, torch.from_numpy(maha.means), torch.from_numpy(maha.precision_cholesky))
    fp32_dir = work / "fp32"
    fp32_dir.mkdir(exist_ok=True)
    fp32_path = export_onnx(wrapper, fp32_dir / "model_fp32.onnx", INPUT_SIZE)
    rng = np.random.default_rng(args.seed)
    calib_idx = rng.choice(len(train_split), size=min(256, len(train_split)), replace=False)
    int8_path = quantize_int8(fp32_path, out / MODEL_FILE, normalize(train_split.images[calib_idx], spec)[:, None])

    # Calibration, abstention and OOD thresholds: on the calibration split, with the shipped int8 model.
    calib_logits, calib_ood = raw_outputs(int8_path, calib.images, spec)
    temperature, bias_array = calibrate.fit_temperature_and_bias(calib_logits, calib.labels)
    bias = [round(float(b), 6) for b in bias_array]
    calib_probs = calibrate.softmax(calib_logits, temperature, np.array(bias))
    uncertain_below = calibrate.choose_uncertain_threshold(calib_probs, calib.labels, args.target_accuracy)
    ood_thresholds = {
        "mahalanobis": calibrate.quantile_threshold(calib_ood[:, 0], args.ood_quantile, args.ood_margin),
        "outlier_probability": float(np.clip(calibrate.quantile_threshold(calib_ood[:, 1], args.ood_quantile,
                                                                          args.ood_margin), 0.5, 0.99)),
    }
    extra = {
        "intended_use": "Second opinion on a frontal chest X-ray while waiting for a radiologist. Not a diagnosis.",
        "training": {
            "data_manifest_sha256": manifest_sha256(data_dir), "code_commit": git_commit(),
            "config": asdict(cfg), "n_train": len(train_split), "n_calibration": len(calib), "n_val": len(val),
            "train_seconds": round(train_seconds), "torch": torch.__version__, "machine": platform.processor() or platform.machine(),
            "limit_per_class": args.limit or None,
        },
    }
    write_card(out, MODEL_FILE, spec, temperature, bias, uncertain_below, ood_thresholds, extra)
    write_card(fp32_dir, fp32_path.name, spec, temperature, bias, uncertain_below, ood_thresholds, extra)

    # Evaluation of the shipped model, through the app's own Classifier.
    clf, clf_fp32 = Classifier(out, threads=1), Classifier(fp32_dir, threads=1)
    val_metrics, val_raw = evaluate.evaluate_split(clf, data_dir, val, LABELS)
    calib_metrics, _ = evaluate.evaluate_split(clf, data_dir, calib, LABELS)
    fp32_raw = evaluate.run_on_files(clf_fp32, [data_dir / f for f in val.files])
    agreement = float((fp32_raw["probs"].argmax(1) == val_raw["probs"].argmax(1)).mean())
    fp32_acc = float((fp32_raw["probs"].argmax(1) == val.labels).mean())

    per_kind = max(10, 1000 // len(negatives.GENERATORS)) if not args.limit else 5
    neg_eval, neg_names = negatives.synthetic_bank(per_kind * len(negatives.GENERATORS), seed=2, squash_to=INPUT_SIZE)
    synthetic = evaluate.ood_rejection(clf, neg_names, neg_eval)
    real_names, real_images = negatives.real_negative_variants(seed=3, per_image=20 if not args.limit else 2)
    real = evaluate.ood_rejection(clf, real_names, real_images, encode=True)  # as the app opens them
    gray = [a if a.ndim == 2 else np.asarray(Image.fromarray(a).convert("L")) for a in real_images]
    real_model_only = evaluate.ood_rejection(clf, real_names, gray)  # the network's own gate, no colour check
    samples = []
    samples_dir = data_dir.parent / "samples"
    for f in sorted(samples_dir.glob("*/*")) if samples_dir.is_dir() else []:
        from cxr_desktop.core.imaging import load_xray

        p = clf.predict(load_xray(f), with_heatmap=False)
        samples.append({"file": f"{f.parent.name}/{f.name}", "true": f.parent.name, "predicted": p.label,
                        "probabilities": p.probability_by_label, "uncertain": p.uncertain,
                        "out_of_distribution": p.out_of_distribution, "ood_score": p.ood_score})

    metrics = {
        "model": {"name": MODEL_NAME, "version": MODEL_VERSION, "file": MODEL_FILE,
                  "size_bytes": int8_path.stat().st_size, "sha256": sha256_file(int8_path),
                  "parameters": int(sum(p.numel() for p in model.parameters()))},
        "val": val_metrics,
        "calibration_split": {k: calib_metrics[k] for k in ("n", "accuracy", "referral", "ood_accepted_rate",
                                                            "ece_after_calibration", "age_shortcut_probe")},
        "fp32": {"val_accuracy": fp32_acc, "int8_fp32_top1_agreement": agreement},
        "target_accuracy_on_calibration": args.target_accuracy,
        "temperature": temperature, "logit_bias": dict(zip(LABELS, bias)), "uncertain_below": uncertain_below, "ood_thresholds": ood_thresholds,
        "ood": {
            "policy": {"quantile": args.ood_quantile, "margin": args.ood_margin},
            "val_accepted_rate": val_metrics["ood_accepted_rate"],
            "synthetic_rejected": {k: v for k, v in synthetic.items() if k != "scores"},
            "real_rejected": {k: v for k, v in real.items() if k != "scores"},
            "real_rejected_greyscale_model_only": {k: v for k, v in real_model_only.items() if k != "scores"},
        },
        "samples_full_resolution": samples,
        "training": extra["training"] | {"history": history},
        "pipeline_seconds": round(time.time() - t_start),  # this invocation (less when training resumed)
        "after_training_seconds": round(time.time() - t_trained),  # export, quantise, calibrate, evaluate
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    plots.training_curves(history, out / "training_curves.png")
    plots.confusion_matrix(val_metrics["confusion_matrix"]["counts"], list(LABELS), out / "confusion_matrix.png",
                           "Validation, int8 model as shipped")
    plots.reliability(val_raw["y"], val_raw["uncalibrated"], val_raw["probs"],
                      (val_metrics["ece_before_calibration"], val_metrics["ece_after_calibration"]),
                      out / "reliability.png")
    plots.ood_scores(val_raw["ood"], {"synthetic non-X-rays": synthetic["scores"], "real non-X-rays": real["scores"]},
                     out / "ood_scores.png")
    (out / "MODEL_CARD.md").write_text(report.model_card_markdown(metrics), encoding="utf-8")
    shutil.rmtree(cache / "tmp", ignore_errors=True)
    print(report.summary(metrics))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
