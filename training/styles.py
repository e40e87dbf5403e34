"""The style-shift suite: one chest X-ray processed the way other machines and hospitals would.

A fixed, seeded set of acquisition styles applied to 224x224 uint8 images (``val``): vendor edge
enhancement at three strengths, gamma and CR-like LUT curves (log, sigmoid), histogram
equalisation and CLAHE, low and high contrast, noise, blur, down-and-up sampling, low-quality
JPEG, borders and off-centre placement, collimation edges, burned-in text and side markers,
small rotations, and one vendor-like combination. numpy + Pillow only (no torch), so the test
suite can run a small version of it on the shipped model in seconds.

``run_suite`` feeds every styled image through the app's own ``Classifier`` and reports, per
style: accuracy, per-class sensitivity, agreement with the clean prediction, the share of adult
Normals called COVID-19, ECE and the share accepted by the OOD gate.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

SUITE_SEED = 20261201


def _pil(a: np.ndarray) -> Image.Image:
    return Image.fromarray(a, mode="L")


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _lut(a: np.ndarray, curve: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    x = np.arange(256) / 255.0
    y = curve(x)
    y = (y - y.min()) / (y.max() - y.min())
    return _u8(y * 255)[a]


def clahe(a: np.ndarray, clip: float = 2.0, tiles: int = 8) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation (Zuiderveld), bilinear between tile LUTs."""
    h, w = a.shape
    th, tw = h // tiles, w // tiles
    luts = np.empty((tiles, tiles, 256))
    for i in range(tiles):
        for j in range(tiles):
            tile = a[i * th:(i + 1) * th if i < tiles - 1 else h, j * tw:(j + 1) * tw if j < tiles - 1 else w]
            hist = np.bincount(tile.ravel(), minlength=256).astype(np.float64)
            limit = max(1.0, clip * tile.size / 256)
            excess = np.maximum(hist - limit, 0).sum()
            hist = np.minimum(hist, limit) + excess / 256
            cdf = np.cumsum(hist)
            luts[i, j] = (cdf - cdf[0]) / max(1e-9, cdf[-1] - cdf[0]) * 255
    fy = np.clip((np.arange(h) + 0.5) / th - 0.5, 0, tiles - 1)
    fx = np.clip((np.arange(w) + 0.5) / tw - 0.5, 0, tiles - 1)
    y0, x0 = np.minimum(fy.astype(int), tiles - 2), np.minimum(fx.astype(int), tiles - 2)
    wy, wx = (fy - y0)[:, None], (fx - x0)[None, :]
    Y0, X0 = y0[:, None], x0[None, :]
    top = luts[Y0, X0, a] * (1 - wx) + luts[Y0, X0 + 1, a] * wx
    bottom = luts[Y0 + 1, X0, a] * (1 - wx) + luts[Y0 + 1, X0 + 1, a] * wx
    return _u8(top * (1 - wy) + bottom * wy)


def unsharp(radius: float, percent: int) -> Callable:
    return lambda a, rng: np.asarray(_pil(a).filter(ImageFilter.UnsharpMask(radius, percent, 2)))


def gamma(g: float) -> Callable:
    return lambda a, rng: _lut(a, lambda x: x**g)


def jpeg(quality: int) -> Callable:
    def f(a: np.ndarray, rng) -> np.ndarray:
        buf = io.BytesIO()
        _pil(a).save(buf, format="JPEG", quality=quality)
        return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    return f


def down_up(size: int) -> Callable:
    def f(a: np.ndarray, rng) -> np.ndarray:
        small = _pil(a).resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(small.resize(a.shape[::-1], Image.Resampling.BILINEAR))
    return f


def shrink_in_border(scale: float, off_centre: bool) -> Callable:
    def f(a: np.ndarray, rng) -> np.ndarray:
        h, w = a.shape
        sw, sh = int(round(w * scale)), int(round(h * scale))
        canvas = Image.new("L", (w, h), 0)
        if off_centre:
            x, y = int(rng.integers(0, 4)), int(rng.integers(0, 4))  # pushed into a corner
            x, y = (x, w - sw - x)[int(rng.integers(2))], (y, h - sh - y)[int(rng.integers(2))]
        else:
            x, y = (w - sw) // 2, (h - sh) // 2
        canvas.paste(_pil(a).resize((sw, sh), Image.Resampling.BILINEAR), (x, y))
        return np.asarray(canvas)
    return f


def off_centre_crop(a: np.ndarray, rng) -> np.ndarray:
    h, w = a.shape
    cw, ch = int(w * 0.82), int(h * 0.82)
    x, y = int(rng.choice([0, w - cw])), int(rng.choice([0, h - ch]))
    return np.asarray(_pil(a).crop((x, y, x + cw, y + ch)).resize((w, h), Image.Resampling.BILINEAR))


def collimation(bright: bool) -> Callable:
    """Collimator shadows: bands outside the exposed field, bright (unexposed) or black (shutters)."""
    def f(a: np.ndarray, rng) -> np.ndarray:
        h, w = a.shape
        out = a.astype(np.float32)
        left, r = int(rng.integers(8, 26)), int(rng.integers(8, 26))
        t, b = int(rng.integers(4, 20)), int(rng.integers(4, 20))
        mask = np.ones((h, w), bool)
        mask[t:h - b, left:w - r] = False
        out[mask] = float(rng.uniform(225, 250)) if bright else float(rng.uniform(0, 12))
        return _u8(np.asarray(_pil(_u8(out)).filter(ImageFilter.GaussianBlur(0.7))))
    return f


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def burned_text(a: np.ndarray, rng) -> np.ndarray:
    img = _pil(a.copy())
    draw = ImageDraw.Draw(img)
    lines = ["AP PORTABLE", f"{int(rng.integers(1, 28)):02d}/{int(rng.integers(1, 12)):02d}/2021 "
             f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}", f"ID {int(rng.integers(10000, 99999))}"]
    y = int(rng.integers(2, 10))
    x = int(rng.choice([3, 120]))
    for line in lines:
        draw.text((x, y), line, fill=int(rng.integers(220, 256)), font=_font(11))
        y += 13
    return np.asarray(img)


def side_marker(a: np.ndarray, rng) -> np.ndarray:
    img = _pil(a.copy())
    draw = ImageDraw.Draw(img)
    s = int(rng.integers(16, 24))
    x = int(rng.choice([int(rng.integers(4, 30)), int(rng.integers(224 - 30 - s, 224 - 4 - s))]))
    y = int(rng.integers(4, 60))
    draw.rectangle((x, y, x + s, y + s), fill=int(rng.integers(0, 40)), outline=235)
    draw.text((x + s // 4, y + 1), str(rng.choice(["L", "R"])), fill=245, font=_font(s - 4))
    return np.asarray(img)


def rotate(angle: float) -> Callable:
    return lambda a, rng: np.asarray(_pil(a).rotate(angle, Image.Resampling.BILINEAR, fillcolor=0))


def gaussian_noise(sigma: float) -> Callable:
    return lambda a, rng: _u8(a + rng.normal(0, sigma, a.shape))


def quantum_noise(a: np.ndarray, rng) -> np.ndarray:
    """Signal-dependent (Poisson-like) noise: fewer photons where the film is dark."""
    x = a.astype(np.float64)
    return _u8(x + rng.normal(0, 1, a.shape) * np.sqrt(255.0 - x + 16) * 0.6)


def vendor_combo(a: np.ndarray, rng) -> np.ndarray:
    x = unsharp(3, 120)(a, rng)
    x = _lut(x, lambda v: 1 / (1 + np.exp(-6 * (v - 0.5))))
    return jpeg(40)(x, rng)


#: name -> function(uint8 (H, W), np.random.Generator) -> uint8 (H, W). The order is fixed.
STYLES: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "unsharp_mild": unsharp(2, 80),
    "unsharp_vendor": unsharp(4, 150),  # the CR/DR-like edge enhancement
    "unsharp_strong": unsharp(8, 250),
    "gamma_0.7": gamma(0.7),
    "gamma_1.4": gamma(1.4),
    "lut_log": lambda a, rng: _lut(a, lambda x: np.log1p(12 * x)),
    "lut_sigmoid": lambda a, rng: _lut(a, lambda x: 1 / (1 + np.exp(-8 * (x - 0.5)))),
    "equalize": lambda a, rng: np.asarray(ImageOps.equalize(_pil(a))),
    "clahe": lambda a, rng: clahe(a, 2.0, 8),
    "low_contrast": lambda a, rng: _u8(60 + 0.6 * a.astype(np.float32)),  # 60% range, raised floor
    "high_contrast": lambda a, rng: np.asarray(ImageOps.autocontrast(_pil(a), cutoff=3)),
    "gaussian_noise": gaussian_noise(8.0),
    "quantum_noise": quantum_noise,
    "blur": lambda a, rng: np.asarray(_pil(a).filter(ImageFilter.GaussianBlur(1.5))),
    "down_up_112": down_up(112),
    "down_up_72": down_up(72),
    "jpeg_q15": jpeg(15),
    "border_85": shrink_in_border(0.85, off_centre=False),
    "off_centre_pad_80": shrink_in_border(0.80, off_centre=True),
    "off_centre_crop": off_centre_crop,
    "collimation_bright": collimation(bright=True),
    "collimation_black": collimation(bright=False),
    "burned_text": burned_text,
    "side_marker": side_marker,
    "rotate_+6": rotate(6.0),
    "rotate_-6": rotate(-6.0),
    "vendor_combo": vendor_combo,
}


def apply_style(name: str, image: np.ndarray, index: int, seed: int = SUITE_SEED) -> np.ndarray:
    """The styled version of image number ``index``: the same pixels on every run."""
    rng = np.random.default_rng([seed, list(STYLES).index(name), index])
    out = STYLES[name](image, rng)
    assert out.shape == image.shape and out.dtype == np.uint8, name
    return out


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    conf, correct = probs.max(1), probs.argmax(1) == labels
    edges = np.linspace(0, 1, bins + 1)
    return float(sum(m.mean() * abs(correct[m].mean() - conf[m].mean())
                     for lo, hi in zip(edges[:-1], edges[1:]) if (m := (conf > lo) & (conf <= hi)).any()))


def _predict_all(classifier, images) -> tuple[np.ndarray, np.ndarray]:
    from training.evaluate import array_image

    probs, accepted = [], []
    for a in images:
        p = classifier.predict(array_image(a), with_heatmap=False)
        probs.append(p.probabilities)
        accepted.append(not p.out_of_distribution)
    return np.array(probs), np.array(accepted)


def style_metrics(probs: np.ndarray, accepted: np.ndarray, clean_pred: np.ndarray, labels: np.ndarray,
                  adult_normal: np.ndarray, names: tuple[str, ...]) -> dict:
    pred = probs.argmax(1)
    covid = names.index("COVID-19")
    return {
        "accuracy": float((pred == labels).mean()),
        "sensitivity": {n: float((pred[labels == c] == c).mean()) for c, n in enumerate(names) if (labels == c).any()},
        "agreement_with_clean": float((pred == clean_pred).mean()),
        "adult_normal_called_covid": float((pred[adult_normal] == covid).mean()) if adult_normal.any() else None,
        "ece": ece(probs, labels),
        "ood_accepted": float(accepted.mean()),
    }


def run_suite(classifier, images: np.ndarray, labels: np.ndarray, pediatric: np.ndarray,
              styles: list[str] | None = None) -> dict:
    """{"clean": metrics, "styles": {name: metrics}, "summary": {...}} for uint8 (N, S, S) images."""
    names = tuple(classifier.labels)
    adult_normal = (labels == names.index("Normal")) & ~pediatric
    clean_probs, clean_acc = _predict_all(classifier, images)
    clean_pred = clean_probs.argmax(1)
    out = {"n": len(images), "clean": style_metrics(clean_probs, clean_acc, clean_pred, labels, adult_normal, names),
           "styles": {}}
    for name in styles or list(STYLES):
        styled = [apply_style(name, a, i) for i, a in enumerate(images)]
        probs, accepted = _predict_all(classifier, styled)
        out["styles"][name] = style_metrics(probs, accepted, clean_pred, labels, adult_normal, names)
    per = out["styles"].values()
    out["summary"] = {
        "mean_agreement": float(np.mean([m["agreement_with_clean"] for m in per])),
        "min_agreement": float(min(m["agreement_with_clean"] for m in per)),
        "min_accuracy": float(min(m["accuracy"] for m in per)),
        "max_adult_normal_called_covid": float(max(m["adult_normal_called_covid"] or 0 for m in per)),
        "max_ece": float(max(m["ece"] for m in per)),
        "min_ood_accepted": float(min(m["ood_accepted"] for m in per)),
    }
    return out
