"""Measurements of a model as shipped that go beyond accuracy: source probe and heatmap sanity.

- ``pooled_features``: the network's pooled features (the input of its linear head), read from
  the shipped ONNX graph itself by exposing the CAM convolution's input as an extra output, so
  the same code measures any shipped model (also an older one).
- ``source_probe``: how well a linear probe predicts the image's source collection from those
  features (multinomial logistic regression, 5-fold cross-validation by group, balanced
  accuracy). Sources in cxr3: the COVID-19 images (many hospitals), the adult Normals (one
  collection: RSNA / NIH ChestX-ray14) and the Kermany pediatric collection (pediatric Normals
  and every Viral Pneumonia). Source is confounded with class, so the probe is also run on the
  features with the head's class directions projected out (``residual``): what the features
  know about the source beyond what the answer uses. Lower is better.
- ``heatmap_sanity``: the share of positive CAM mass of the COVID-19 class that falls inside the
  lung fields on COVID-19 images. Lung fields: two fixed ellipses fitted by eye to the mean
  ``val`` radiograph (whole images squashed to a square, so the lungs sit in the same place to a
  few pixels); also the share on a central mediastinum/heart band.

    python -m training.assess --model assets/model --out previous.json   # measure a model
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from cxr_desktop.core.preprocess import preprocess_array

LUNG_ELLIPSES = ((0.29, 0.50, 0.15, 0.30), (0.71, 0.50, 0.15, 0.30))  # (cx, cy, rx, ry), unit square
MEDIASTINUM_BAND = (0.43, 0.57, 0.15, 0.92)  # x0, x1, y0, y1


def lung_mask(size: int) -> np.ndarray:
    c = (np.arange(size) + 0.5) / size
    x, y = c[None, :], c[:, None]
    return np.logical_or.reduce([((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 for cx, cy, rx, ry in LUNG_ELLIPSES])


def mediastinum_mask(size: int) -> np.ndarray:
    c = (np.arange(size) + 0.5) / size
    x0, x1, y0, y1 = MEDIASTINUM_BAND
    return ((c[None, :] >= x0) & (c[None, :] <= x1)) & ((c[:, None] >= y0) & (c[:, None] <= y1))


def _batches(images: np.ndarray, spec, size: int = 64):
    for i in range(0, len(images), size):
        yield np.concatenate([preprocess_array(a, spec) for a in images[i:i + size]])


def pooled_features(model_path: Path, images: np.ndarray, spec, threads: int = 2) -> np.ndarray:
    """(N, D) global-average-pooled last feature map of an exported CxrNet (fp32 or int8 QDQ)."""
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(model_path))
    cam_conv = next(n for n in model.graph.node if "cam" in n.output)
    fmap = cam_conv.input[0]
    model.graph.output.append(onnx.helper.make_empty_tensor_value_info(fmap))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return np.concatenate([session.run([fmap], {"image": b})[0].mean(axis=(2, 3)) for b in _batches(images, spec)])


def head_weights(model_path: Path) -> np.ndarray:
    """(K, D) weights of the CAM convolution (= the linear head)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(model_path))
    inits = {i.name: i for i in model.graph.initializer}
    cam_conv = next(n for n in model.graph.node if "cam" in n.output)
    name = cam_conv.input[1]
    producer = {o: n for n in model.graph.node for o in n.output}
    while name not in inits and name in producer:  # through a DequantizeLinear, should there be one
        name = producer[name].input[0]
    w = numpy_helper.to_array(inits[name]).astype(np.float64)
    return w.reshape(w.shape[0], -1)


def sources_of(split) -> tuple[np.ndarray, tuple[str, ...]]:
    from training.data import LABELS

    names = ("COVID-19 collection (many hospitals)", "adult Normal collection (RSNA/NIH)",
             "Kermany pediatric collection")
    src = np.where(split.pediatric, 2, np.where(split.labels == LABELS.index("COVID-19"), 0, 1))
    return src, names


def _fit_softmax_regression(x: np.ndarray, y: np.ndarray, k: int, l2: float = 1e-2, steps: int = 400) -> np.ndarray:
    """Multinomial logistic regression, class-balanced, full-batch gradient descent with momentum."""
    n, d = x.shape
    w = np.zeros((d + 1, k))
    xb = np.hstack([x, np.ones((n, 1))])
    weight = (1.0 / np.bincount(y, minlength=k))[y]
    weight = weight / weight.sum()
    onehot = np.eye(k)[y]
    v = np.zeros_like(w)
    for _ in range(steps):
        z = xb @ w
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        grad = xb.T @ ((p - onehot) * weight[:, None]) + l2 * np.vstack([w[:-1], np.zeros((1, k))])
        v = 0.9 * v - 0.5 * grad
        w += v
    return w


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray, k: int) -> float:
    return float(np.mean([(pred[y == c] == c).mean() for c in range(k) if (y == c).any()]))


def cross_validated_probe(feats: np.ndarray, y: np.ndarray, groups: list[str], folds: int = 5, seed: int = 0) -> float:
    k = int(y.max()) + 1
    unique = sorted(set(groups))
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(unique, rng.permutation(len(unique)) % folds))
    fold = np.array([fold_of[g] for g in groups])
    pred = np.empty_like(y)
    for f in range(folds):
        tr, te = fold != f, fold == f
        mu, sd = feats[tr].mean(0), feats[tr].std(0) + 1e-6
        w = _fit_softmax_regression((feats[tr] - mu) / sd, y[tr], k)
        xb = np.hstack([(feats[te] - mu) / sd, np.ones((te.sum(), 1))])
        pred[te] = (xb @ w).argmax(1)
    return _balanced_accuracy(y, pred, k)


def source_probe(model_path: Path, split, spec) -> dict:
    feats = pooled_features(model_path, split.images, spec).astype(np.float64)
    src, names = sources_of(split)
    w = head_weights(model_path)
    q, _ = np.linalg.qr(w.T)  # orthonormal basis of the class directions
    centred = feats - feats.mean(0)
    residual = centred - (centred @ q) @ q.T
    return {"sources": list(names), "n": len(src), "chance": 1 / len(names),
            "balanced_accuracy": cross_validated_probe(feats, src, split.groups),
            "balanced_accuracy_residual": cross_validated_probe(residual, src, split.groups),
            "method": "5-fold group cross-validated multinomial logistic regression on the pooled features "
                      "of val; residual: the class directions of the head projected out"}


def heatmap_sanity(classifier, images: np.ndarray, labels: np.ndarray, class_name: str = "COVID-19") -> dict:
    """Share of positive CAM mass (class ``class_name``, upsampled bilinearly) inside the lung fields."""
    from PIL import Image

    c = classifier.labels.index(class_name)
    size = classifier.card.preprocess.input_size
    lungs, media = lung_mask(size), mediastinum_mask(size)
    chosen = images[labels == c]
    in_lungs, in_media, maps = [], [], []
    for batch in _batches(chosen, classifier.card.preprocess):
        _, cam, _ = classifier.run(batch)
        for m in np.maximum(cam[:, c].astype(np.float32), 0):
            up = np.asarray(Image.fromarray(m).resize((size, size), Image.Resampling.BILINEAR), np.float64)
            total = up.sum()
            if total <= 0:
                continue
            in_lungs.append(up[lungs].sum() / total)
            in_media.append(up[media].sum() / total)
            maps.append(up / total)
    return {"class": class_name, "n": len(in_lungs), "lung_share_mean": float(np.mean(in_lungs)),
            "lung_share_median": float(np.median(in_lungs)), "mediastinum_share_mean": float(np.mean(in_media)),
            "lung_area_share": float(lungs.mean()), "mediastinum_area_share": float(media.mean()),
            "mean_map": np.mean(maps, 0) if maps else np.zeros((size, size)),
            "lung_region": "two fixed ellipses fitted to the mean val radiograph: " + repr(LUNG_ELLIPSES)}


def assess(model_dir: Path, data_dir: Path, suite_limit: int = 0, split: str = "val") -> dict:
    """Metrics, style-shift suite, source probe and heatmap sanity of a shipped model folder, on
    ``val`` or on the calibration split carved from train (``calib``: for choosing between
    variants without looking at val)."""
    from cxr_desktop.core.inference import Classifier
    from training import evaluate, styles
    from training.data import LABELS, carve_by_group, load_images, read_manifest

    clf = Classifier(model_dir, threads=2)
    splits = read_manifest(data_dir)
    val = splits["val"] if split == "val" else carve_by_group(splits["train"], 0.12, 0)[1]
    val.images = load_images(data_dir, val.files, clf.card.preprocess, None)
    metrics, _ = evaluate.evaluate_split(clf, data_dir, val, LABELS)
    idx = np.arange(len(val)) if not suite_limit else np.sort(np.concatenate(
        [np.flatnonzero(val.labels == c)[:suite_limit] for c in range(len(LABELS))]))
    suite = styles.run_suite(clf, val.images[idx], val.labels[idx], val.pediatric[idx])
    heat = heatmap_sanity(clf, val.images, val.labels)
    heat.pop("mean_map")
    return {"model": {"name": clf.card.name, "version": clf.card.version, "sha256": clf.card.sha256},
            "val": metrics, "style_suite": suite, "source_probe": source_probe(clf.card.model_path, val, clf.card.preprocess),
            "heatmap_sanity": heat}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=Path("assets/model"))
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--suite-limit", type=int, default=0, help="images per class for the style suite (0: all)")
    ap.add_argument("--split", choices=("val", "calib"), default="val",
                    help="calib: the pipeline's calibration split (carved from train, seed 0, 12%%)")
    args = ap.parse_args(argv)
    from cxr_desktop import paths

    result = assess(args.model, args.data or paths.shared_data_dir() / "cxr3", args.suite_limit, args.split)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"suite": result["style_suite"]["summary"], "probe": result["source_probe"],
                      "heatmap": result["heatmap_sanity"]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
