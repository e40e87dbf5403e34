"""Images that are NOT frontal chest X-rays, for the out-of-distribution gate.

Two sources:
- ``synthetic(kind, rng)``: procedural images of many kinds (noise, blank, patterns, documents,
  screenshots, charts, natural-like scenes, CT/MR-like slices, limb/hand/skull/pelvis-like
  radiographs). Used for outlier exposure in training (one seed range) and for evaluation
  (another seed range).
- ``real_negatives()``: real images that ship with installed packages (matplotlib's sample data:
  a photograph, an MR slice, terrain maps, logos, rendered charts). Never used in training, so
  their rejection rate is an honest check of generalisation.

Every image is returned as 2-D uint8 at its own size; callers squash it with the app's
preprocessing, exactly as the app would.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

WORDS = ("patient report result normal value date total name clinic sample order level blood "
         "test review page the of and for with from this that report summary invoice table figure "
         "analysis data system user file open save cancel help view window settings COVID chest "
         "x-ray lab hemoglobin 12.5 mg/dL 2026 ID 00345 signed doctor notes follow-up").split()


def _fonts() -> list[Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return sorted(folder.glob("DejaVu*.ttf"))


def _font(rng: np.random.Generator, size: int) -> ImageFont.FreeTypeFont:
    fonts = _fonts()
    return ImageFont.truetype(str(fonts[rng.integers(len(fonts))]), size)


def _size(rng: np.random.Generator) -> tuple[int, int]:
    return int(rng.integers(180, 420)), int(rng.integers(180, 420))


def _to_gray(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.uint8)


def _smooth_noise(rng: np.random.Generator, w: int, h: int, octaves: int = 5) -> np.ndarray:
    """Fractal value noise in [0, 1]."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = 2 ** (o + 1)
        grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
        layer = np.asarray(Image.fromarray(grid).resize((w, h), Image.Resampling.BICUBIC))
        out += amp * layer
        total += amp
        amp *= 0.55
    out /= total
    return (out - out.min()) / max(1e-6, float(np.ptp(out)))


def noise(rng, w, h):
    kind = rng.integers(4)
    if kind == 0:
        a = rng.normal(rng.uniform(60, 190), rng.uniform(10, 80), (h, w))
    elif kind == 1:
        a = rng.uniform(0, 255, (h, w))
    elif kind == 2:
        a = np.where(rng.random((h, w)) < rng.uniform(0.05, 0.5), 255.0, 0.0)
    else:
        a = _smooth_noise(rng, w, h) * 255
    return np.clip(a, 0, 255).astype(np.uint8)


def flat(rng, w, h):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    kind = rng.integers(3)
    if kind == 0:
        a = np.full((h, w), rng.uniform(0, 255), np.float32) + rng.normal(0, rng.uniform(0, 4), (h, w))
    elif kind == 1:
        ang = rng.uniform(0, 2 * math.pi)
        t = (xx * math.cos(ang) + yy * math.sin(ang)) / max(w, h)
        a = rng.uniform(0, 255) + (t - t.min()) * rng.uniform(-255, 255)
    else:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = np.hypot(xx - cx, yy - cy) / max(w, h)
        a = rng.uniform(0, 255) + r * rng.uniform(-300, 300)
    return np.clip(a, 0, 255).astype(np.uint8)


def patterns(rng, w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    period = int(rng.integers(4, 60))
    kind = rng.integers(4)
    if kind == 0:
        a = ((xx // period + yy // period) % 2) * 255
    elif kind == 1:
        ang = rng.uniform(0, math.pi)
        a = (np.sin((xx * math.cos(ang) + yy * math.sin(ang)) * 2 * math.pi / period) > 0) * 255
    elif kind == 2:
        a = (((xx % period) < 2) | ((yy % period) < 2)) * 255
        if rng.random() < 0.5:
            a = 255 - a
    else:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        a = (np.sin(np.hypot(xx - cx, yy - cy) * 2 * math.pi / period) > 0) * 255
    lo, hi = sorted(rng.uniform(0, 255, 2))
    return (lo + a / 255.0 * (hi - lo)).astype(np.uint8)


def _text_line(rng, n):
    return " ".join(WORDS[i] for i in rng.integers(len(WORDS), size=n))


def document(rng, w, h):
    w, h = int(rng.integers(200, 330)), int(rng.integers(300, 440))  # portrait page
    paper = int(rng.uniform(215, 255))
    ink = int(rng.uniform(0, 90))
    if rng.random() < 0.15:  # dark mode
        paper, ink = ink, paper
    img = Image.new("L", (w, h), paper)
    d = ImageDraw.Draw(img)
    y = int(rng.integers(4, 30))
    size = int(rng.integers(7, 16))
    font = _font(rng, size)
    while y < h - size:
        r = rng.random()
        if r < 0.1:
            d.text((10, y), _text_line(rng, 3).upper(), fill=ink, font=_font(rng, size + 6))
            y += size + 12
        elif r < 0.2:  # a table
            rows, cols = int(rng.integers(2, 6)), int(rng.integers(2, 5))
            cw, rh = (w - 20) // cols, size + 6
            for i in range(rows + 1):
                d.line((10, y + i * rh, 10 + cols * cw, y + i * rh), fill=ink)
            for j in range(cols + 1):
                d.line((10 + j * cw, y, 10 + j * cw, y + rows * rh), fill=ink)
            for i in range(rows):
                for j in range(cols):
                    d.text((13 + j * cw, y + i * rh + 2), WORDS[rng.integers(len(WORDS))], fill=ink, font=font)
            y += rows * rh + 8
        else:
            d.text((10, y), _text_line(rng, int(rng.integers(3, 12))), fill=ink, font=font)
            y += size + int(rng.integers(2, 8))
    if rng.random() < 0.3:  # a scanned look
        img = img.rotate(rng.uniform(-4, 4), fillcolor=paper).filter(ImageFilter.GaussianBlur(rng.uniform(0, 1)))
    return _to_gray(img)


def _rand_color(rng):
    return tuple(int(c) for c in rng.integers(0, 256, 3))


def screenshot(rng, w, h):
    w, h = int(rng.integers(300, 640)), int(rng.integers(200, 480))  # landscape screens
    bg = _rand_color(rng) if rng.random() < 0.5 else (240, 240, 240)
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, int(rng.integers(14, 30))), fill=_rand_color(rng))
    font = _font(rng, int(rng.integers(8, 14)))
    for _ in range(int(rng.integers(4, 25))):
        x0, y0 = int(rng.integers(0, w - 20)), int(rng.integers(20, h - 10))
        x1, y1 = x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(10, h // 3))
        kind = rng.random()
        if kind < 0.4:
            d.rectangle((x0, y0, x1, y1), fill=_rand_color(rng), outline=_rand_color(rng))
        elif kind < 0.8:
            d.text((x0, y0), _text_line(rng, int(rng.integers(1, 6))), fill=_rand_color(rng), font=font)
        else:
            d.ellipse((x0, y0, x0 + 16, y0 + 16), fill=_rand_color(rng))
    return _to_gray(img)


def chart(rng, w, h):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(rng.uniform(3, 6), rng.uniform(2.5, 5)), dpi=60)
    x = np.linspace(0, 10, 50)
    kind = rng.integers(4)
    if kind == 0:
        for _ in range(int(rng.integers(1, 4))):
            ax.plot(x, np.cumsum(rng.normal(0, 1, 50)))
    elif kind == 1:
        ax.bar(range(8), rng.random(8))
    elif kind == 2:
        ax.scatter(rng.random(80), rng.random(80), c=rng.random(80))
    else:
        ax.imshow(rng.random((12, 12)), cmap=str(rng.choice(["gray", "viridis", "bone", "hot"])))
    ax.set_title(_text_line(rng, 3))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return _to_gray(Image.open(buf))


def scene(rng, w, h):
    """Natural-image-like: a 'dead leaves' scene of textured shapes, sky/ground, in colour."""
    img = Image.new("RGB", (w, h), _rand_color(rng))
    d = ImageDraw.Draw(img)
    if rng.random() < 0.5:
        d.rectangle((0, int(h * rng.uniform(0.3, 0.7)), w, h), fill=_rand_color(rng))
    for _ in range(int(rng.integers(10, 80))):
        r = int(rng.integers(5, max(w, h) // 3))
        x, y = int(rng.integers(-r, w)), int(rng.integers(-r, h))
        box = (x, y, x + r * rng.uniform(0.5, 2), y + r)
        (d.ellipse if rng.random() < 0.6 else d.rectangle)(box, fill=_rand_color(rng))
    a = np.asarray(img, np.float32)
    tex = _smooth_noise(rng, w, h, octaves=6)[..., None]
    a = a * (0.6 + 0.8 * tex)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0, 2)))
    return _to_gray(out)


def _ellipse(d, cx, cy, rx, ry, fill):
    d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)


def ct_slice(rng, w, h):
    """Axial CT/MR-like slice: a bright body outline on black, with organs, bone and lungs."""
    s = min(w, h)
    img = Image.new("L", (s, s), int(rng.uniform(0, 25)))
    d = ImageDraw.Draw(img)
    cx, cy = s / 2 + rng.normal(0, s * 0.03), s / 2 + rng.normal(0, s * 0.03)
    head = rng.random() < 0.35
    rx = s * rng.uniform(0.3, 0.47)
    ry = rx * (rng.uniform(0.85, 1.2) if head else rng.uniform(0.55, 0.8))
    if head:  # skull ring, brain
        _ellipse(d, cx, cy, rx, ry, int(rng.uniform(180, 255)))
        _ellipse(d, cx, cy, rx * 0.9, ry * 0.9, int(rng.uniform(80, 140)))
        for _ in range(int(rng.integers(2, 6))):
            _ellipse(d, cx + rng.normal(0, rx * 0.2), cy + rng.normal(0, ry * 0.2),
                     rx * rng.uniform(0.05, 0.2), ry * rng.uniform(0.05, 0.3), int(rng.uniform(20, 200)))
    else:  # chest/abdomen
        _ellipse(d, cx, cy, rx, ry, int(rng.uniform(90, 150)))
        if rng.random() < 0.6:  # lungs
            for sx in (-1, 1):
                _ellipse(d, cx + sx * rx * 0.45, cy - ry * 0.05, rx * 0.33, ry * 0.6, int(rng.uniform(0, 40)))
        for _ in range(int(rng.integers(1, 6))):  # organs
            _ellipse(d, cx + rng.normal(0, rx * 0.3), cy + rng.normal(0, ry * 0.3),
                     rx * rng.uniform(0.05, 0.25), ry * rng.uniform(0.05, 0.25), int(rng.uniform(100, 200)))
        _ellipse(d, cx, cy + ry * 0.65, rx * 0.1, ry * 0.12, int(rng.uniform(200, 255)))  # vertebra
        if rng.random() < 0.5:  # scanner table
            d.arc((cx - rx * 1.3, cy + ry * 0.95, cx + rx * 1.3, cy + ry * 1.5), 200, 340, fill=150, width=3)
    a = np.asarray(img, np.float32) + rng.normal(0, rng.uniform(2, 12), (s, s))
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    return np.asarray(out)


def _bone(d, p0, p1, width, fill):
    d.line((*p0, *p1), fill=fill, width=int(width))
    for p in (p0, p1):  # knobby ends
        _ellipse(d, p[0], p[1], width * 0.9, width * 0.9, fill)


def limb_xray(rng, w, h):
    """Radiograph of a limb, hand, foot, skull or pelvis: bright bone in grey soft tissue on dark."""
    img = Image.new("L", (w, h), int(rng.uniform(0, 40)))
    d = ImageDraw.Draw(img)
    soft, bone = int(rng.uniform(60, 120)), int(rng.uniform(170, 250))
    kind = rng.integers(4)
    if kind == 0:  # long bones (arm, leg, knee)
        ang = rng.uniform(-0.4, 0.4) + (math.pi / 2 if rng.random() < 0.7 else 0)
        L = max(w, h)
        cx, cy = w / 2, h / 2
        dx, dy = math.cos(ang) * L, math.sin(ang) * L
        d.line((cx - dx, cy - dy, cx + dx, cy + dy), fill=soft, width=int(min(w, h) * rng.uniform(0.3, 0.6)))
        n = int(rng.integers(1, 3))
        for i in range(n):
            off = (i - (n - 1) / 2) * min(w, h) * 0.12
            mid = rng.uniform(-0.2, 0.2)
            p_mid = (cx + dx * mid - math.sin(ang) * off, cy + dy * mid + math.cos(ang) * off)
            _bone(d, (p_mid[0] - dx * 0.5, p_mid[1] - dy * 0.5), (p_mid[0] - dx * 0.03, p_mid[1] - dy * 0.03),
                  min(w, h) * rng.uniform(0.05, 0.1), bone)
            _bone(d, (p_mid[0] + dx * 0.03, p_mid[1] + dy * 0.03), (p_mid[0] + dx * 0.5, p_mid[1] + dy * 0.5),
                  min(w, h) * rng.uniform(0.05, 0.1), bone)
    elif kind == 1:  # hand / foot: palm and rays of phalanges
        px, py = w / 2 + rng.normal(0, w * 0.05), h * rng.uniform(0.55, 0.75)
        _ellipse(d, px, py, w * 0.22, h * 0.18, soft)
        base = rng.uniform(-math.pi * 0.8, -math.pi * 0.2)
        for f in range(5):
            ang = base + f * rng.uniform(0.15, 0.3)
            length = min(w, h) * rng.uniform(0.25, 0.45)
            p0 = (px + math.cos(ang) * w * 0.1, py + math.sin(ang) * h * 0.1)
            p1 = (p0[0] + math.cos(ang) * length, p0[1] + math.sin(ang) * length)
            d.line((*p0, *p1), fill=soft, width=int(min(w, h) * 0.08))
            segs = 3
            for s in range(segs):
                a0 = (p0[0] + (p1[0] - p0[0]) * s / segs, p0[1] + (p1[1] - p0[1]) * s / segs)
                a1 = (p0[0] + (p1[0] - p0[0]) * (s + 0.8) / segs, p0[1] + (p1[1] - p0[1]) * (s + 0.8) / segs)
                _bone(d, a0, a1, min(w, h) * 0.025, bone)
        d.line((px, py + h * 0.1, px, h), fill=soft, width=int(w * 0.3))
    elif kind == 2:  # skull
        cx, cy, r = w / 2, h / 2, min(w, h) * rng.uniform(0.3, 0.45)
        _ellipse(d, cx, cy, r, r * rng.uniform(1.0, 1.25), bone)
        _ellipse(d, cx, cy, r * 0.9, r * rng.uniform(0.9, 1.1), int(soft * 1.3))
        _ellipse(d, cx, cy + r * 0.5, r * 0.5, r * 0.3, int(bone * 0.8))
    else:  # pelvis / spine
        cx = w / 2
        d.rectangle((w * 0.05, 0, w * 0.95, h), fill=soft)
        for i in range(int(rng.integers(3, 7))):
            y = h * (0.1 + i * 0.12)
            d.rounded_rectangle((cx - w * 0.08, y, cx + w * 0.08, y + h * 0.08), 4, fill=bone)
        for sx in (-1, 1):
            _ellipse(d, cx + sx * w * 0.25, h * 0.75, w * 0.18, h * 0.15, int(bone * 0.85))
            _ellipse(d, cx + sx * w * 0.25, h * 0.75, w * 0.1, h * 0.08, soft)
    a = np.asarray(img, np.float32)
    a += (_smooth_noise(rng, w, h, 4) - 0.5) * rng.uniform(0, 40) + rng.normal(0, rng.uniform(1, 8), (h, w))
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    if rng.random() < 0.3:
        out = Image.fromarray(255 - np.asarray(out))
    return np.asarray(out)


GENERATORS = {
    "noise": noise, "flat": flat, "patterns": patterns, "document": document, "screenshot": screenshot,
    "chart": chart, "scene": scene, "ct_mr_slice": ct_slice, "other_radiograph": limb_xray,
}


def synthetic(kind: str, rng: np.random.Generator) -> np.ndarray:
    w, h = _size(rng)
    return GENERATORS[kind](rng, w, h)


def synthetic_bank(count: int, seed: int, squash_to: int) -> tuple[np.ndarray, list[str]]:
    """``count`` synthetic negatives squashed to ``squash_to`` px (uint8), round-robin over kinds."""
    from cxr_desktop.core.preprocess import PreprocessSpec, squash

    spec = PreprocessSpec(input_size=squash_to)
    rng = np.random.default_rng(seed)
    kinds = list(GENERATORS)
    images = np.empty((count, squash_to, squash_to), np.uint8)
    names = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        images[i] = squash(synthetic(kind, rng), spec)
        names.append(kind)
    return images, names


def real_negatives() -> list[tuple[str, np.ndarray]]:
    """Real non-chest-X-ray images from installed packages (matplotlib's sample data), in their
    own colours: (name, uint8 array HxW or HxWx3)."""
    import matplotlib.cbook as cbook

    out: list[tuple[str, np.ndarray]] = []
    for name in ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"):
        with Image.open(cbook.get_sample_data(name)) as img:
            out.append((f"photo/logo:{name}", np.asarray(img.convert("RGB"))))
    raw = np.frombuffer(cbook.get_sample_data("s1045.ima.gz").read(), "<u2").reshape(256, 256)
    out.append(("mr_slice:s1045", (raw / raw.max() * 255).astype(np.uint8)))
    for name in ("jacksboro_fault_dem.npz", "topobathy.npz"):
        z = cbook.get_sample_data(name)  # matplotlib returns the loaded NpzFile for .npz
        arr = z[z.files[0]].astype(np.float64)
        arr = (arr - arr.min()) / max(1e-9, float(np.ptp(arr)))
        out.append((f"terrain:{name}", (arr * 255).astype(np.uint8)))
    return out


def real_negative_variants(seed: int = 0, per_image: int = 20) -> tuple[list[str], list[np.ndarray]]:
    """Each real negative plus random crops/flips/rotations of it (distinct views, same source)."""
    rng = np.random.default_rng(seed)
    names, images = [], []
    for name, a in real_negatives():
        names.append(name)
        images.append(a)
        h, w = a.shape[:2]
        for _ in range(per_image - 1):
            ch, cw = int(h * rng.uniform(0.4, 1)), int(w * rng.uniform(0.4, 1))
            y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            crop = np.rot90(a[y:y + ch, x:x + cw], int(rng.integers(4)))
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            names.append(name)
            images.append(np.ascontiguousarray(crop))
    return names, images
