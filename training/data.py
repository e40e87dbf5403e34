"""Data: the cxr3 manifest, group-safe splits, a uint8 image cache, and batched augmentation.

Images are read with the app's own loader (``load_xray``) and squashed with the app's own
``squash``; augmentation then works on those uint8 pixels and ``to_model_input`` normalises them
exactly as ``cxr_desktop.core.preprocess.normalize`` does, so un-augmented training tensors are
bit-identical to what the app feeds the model.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cxr_desktop.core.preprocess import PreprocessSpec, normalize, squash, standardize

LABELS = ("COVID-19", "Normal", "Viral_Pneumonia")


@dataclass
class Split:
    files: list[str]
    labels: np.ndarray  # int64 class indices into LABELS
    pediatric: np.ndarray  # bool
    groups: list[str]
    images: np.ndarray | None = None  # uint8 (N, S, S)

    def __len__(self) -> int:
        return len(self.files)

    def subset(self, idx: np.ndarray) -> Split:
        return Split([self.files[i] for i in idx], self.labels[idx], self.pediatric[idx],
                     [self.groups[i] for i in idx], None if self.images is None else self.images[idx])


def manifest_sha256(data_dir: Path) -> str:
    return hashlib.sha256((data_dir / "manifest.csv").read_bytes()).hexdigest()


def read_manifest(data_dir: Path) -> dict[str, Split]:
    """{'train': Split, 'val': Split} from manifest.csv (paths relative to data_dir)."""
    rows: dict[str, list[dict[str, str]]] = {}
    with open(data_dir / "manifest.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(row["split"], []).append(row)
    return {
        name: Split([r["file"] for r in rs], np.array([LABELS.index(r["class"]) for r in rs], np.int64),
                    np.array([r["pediatric"] == "1" for r in rs]), [r["group"] for r in rs])
        for name, rs in rows.items()
    }


def carve_by_group(split: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    """Split off ``fraction`` of the groups (stratified by class and age) -> (rest, carved)."""
    rng = np.random.default_rng(seed)
    strata: dict[tuple[int, bool], list[str]] = {}
    group_key = {}
    for g, y, p in zip(split.groups, split.labels, split.pediatric):
        group_key.setdefault(g, (int(y), bool(p)))
    for g, key in group_key.items():
        strata.setdefault(key, []).append(g)
    carved_groups: set[str] = set()
    for key in sorted(strata):
        groups = sorted(strata[key])
        rng.shuffle(groups)
        carved_groups.update(groups[: int(round(len(groups) * fraction))])
    mask = np.array([g in carved_groups for g in split.groups])
    return split.subset(np.flatnonzero(~mask)), split.subset(np.flatnonzero(mask))


def load_images(data_dir: Path, files: list[str], spec: PreprocessSpec, cache_dir: Path | None) -> np.ndarray:
    """uint8 (N, S, S) through the app's loader and squash; cached as one .npy per file list."""
    key = hashlib.sha256(("\n".join(files) + f"|{spec.input_size}|{spec.resample}").encode()).hexdigest()[:16]
    cache = cache_dir / f"images_{key}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        return np.load(cache)
    from cxr_desktop.core.imaging import load_xray

    out = np.empty((len(files), spec.input_size, spec.input_size), np.uint8)
    for i, f in enumerate(files):
        out[i] = squash(load_xray(data_dir / f).display, spec)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, out)
    return out


def standardize_batch(u8: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """The app's intensity standardisation (core.preprocess.standardize) of each uint8 image."""
    if spec.intensity == "none":
        return u8
    return np.stack([standardize(a, spec) for a in u8])


def model_input_np(u8: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """uint8 (N, S, S) squashed images -> float32 (N, 1, S, S), exactly as the app's preprocess."""
    return normalize(standardize_batch(u8, spec), spec)[:, None]


def standardize_unit(x: torch.Tensor, spec: PreprocessSpec) -> torch.Tensor:
    """Augmented float (B, 1, S, S) in [0, 1] -> quantised to 8 bits (as a real image is) and
    standardised like the app does, back in [0, 1]."""
    if spec.intensity == "none":
        return x
    u8 = (x[:, 0].clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    return torch.from_numpy(standardize_batch(u8, spec)).float()[:, None] * (1.0 / 255.0)


def to_model_input(u8_or_unit: torch.Tensor, spec: PreprocessSpec, already_unit: bool = False) -> torch.Tensor:
    """Same arithmetic as core.preprocess.normalize: (x * (1/255) - mean) * (1/std), float32."""
    x = u8_or_unit if already_unit else u8_or_unit.float() * np.float32(1.0 / 255.0)
    x = (x - np.float32(spec.mean)) * np.float32(1.0 / spec.std)
    return x if x.ndim == 4 else x[:, None]


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(2.5 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), k.view(1, 1, -1, 1))


def augment(u8: torch.Tensor, gen: torch.Generator, strength: float = 1.0) -> torch.Tensor:
    """uint8 (B, S, S) -> float (B, 1, S, S) in [0, 1], randomly transformed like real radiographs vary.

    Geometry: rotation, zoom, aspect-ratio change (other collections are squashed from other
    shapes), shift. Appearance: resolution loss, blur, contrast/brightness/gamma, noise, and
    burned-in markers. No horizontal flip: the heart's side is anatomy, not noise.
    """
    b, s, _ = u8.shape
    x = u8.float()[:, None] * (1.0 / 255.0)

    def U(lo: float, hi: float, n: int = b) -> torch.Tensor:
        return torch.rand(n, generator=gen) * (hi - lo) + lo

    ang = U(-10, 10) * math.pi / 180 * strength
    zoom = torch.exp(U(-0.15, 0.15) * strength)
    aspect = torch.exp(U(-0.18, 0.18) * strength)
    sx, sy = 1 / (zoom * aspect.sqrt()), aspect.sqrt() / zoom
    tx, ty = U(-0.06, 0.06) * strength, U(-0.06, 0.06) * strength
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.stack([torch.stack([cos * sx, -sin * sy, tx], 1), torch.stack([sin * sx, cos * sy, ty], 1)], 1)
    keep = torch.rand(b, generator=gen) < 0.1
    theta[keep] = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    low_res = torch.rand(b, generator=gen) < 0.25 * strength
    if low_res.any():
        size = int(torch.randint(72, 180, (1,), generator=gen))
        small = F.interpolate(x[low_res], size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        x[low_res] = F.interpolate(small, size=(s, s), mode="bilinear", align_corners=False)
    blur = torch.rand(b, generator=gen) < 0.2 * strength
    if blur.any():
        x[blur] = _gaussian_blur(x[blur], float(U(0.4, 1.6, 1)))

    contrast = torch.exp(U(-0.25, 0.25) * strength).view(b, 1, 1, 1)
    bright = (U(-0.08, 0.08) * strength).view(b, 1, 1, 1)
    gamma = torch.exp(U(-0.35, 0.35) * strength).view(b, 1, 1, 1)
    x = x.clamp(0, 1) ** gamma
    mean = x.mean(dim=(2, 3), keepdim=True)
    x = (x - mean) * contrast + mean + bright

    noisy = (torch.rand(b, generator=gen) < 0.3 * strength).view(b, 1, 1, 1)
    sigma = U(0.0, 0.035).view(b, 1, 1, 1)
    x = x + noisy * sigma * torch.randn(x.shape, generator=gen)

    markers = torch.nonzero(torch.rand(b, generator=gen) < 0.2 * strength).flatten()
    for i in markers.tolist():  # a burned-in letter/label block near an edge
        h, w = int(torch.randint(6, 22, (1,), generator=gen)), int(torch.randint(6, 40, (1,), generator=gen))
        y0 = int(torch.randint(0, s - h, (1,), generator=gen))
        x0 = int(torch.randint(0, 30, (1,), generator=gen)) if torch.rand(1, generator=gen) < 0.5 \
            else int(torch.randint(s - 30 - w, s - w, (1,), generator=gen))
        x[i, 0, y0:y0 + h, x0:x0 + w] = float(U(0.7, 1.0, 1))
    return x.clamp(0, 1)
