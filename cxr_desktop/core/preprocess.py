"""The one function that turns an image into model input. Training imports this module too.

The training images are whole radiographs squashed (not cropped) to 224x224, 8-bit. So every
image, whatever its size or encoding, is:
  1. mapped to 8-bit display grey levels (done by imaging.load_xray -> XrayImage.display),
  2. squashed whole to ``input_size`` x ``input_size`` with one Pillow filter (``squash``),
  3. intensity-standardised when the card says so (``standardize``: ``"equalize"`` maps grey
     levels through the squashed image's own cumulative histogram, so any monotonic contrast
     curve a vendor applies — gamma, log, sigmoid, window, equalisation — gives nearly the same
     input; computed on the squashed image, it does not depend on the decoded resolution),
  4. scaled to [0, 1] and normalised with the model card's mean/std (``normalize``).
Training applies its augmentations between steps 2 and 3, on the same uint8 arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cxr_desktop.core.types import XrayImage

RESAMPLE_FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}


INTENSITY_MODES = ("none", "equalize")


@dataclass(frozen=True)
class PreprocessSpec:
    """How pixels become a tensor. Stored in (and read from) the model card."""

    input_size: int = 224
    mean: float = 0.5
    std: float = 0.25
    resample: str = "bilinear"
    intensity: str = "none"  # one of INTENSITY_MODES

    def __post_init__(self) -> None:
        if self.resample not in RESAMPLE_FILTERS:
            raise ValueError(f"unknown resample filter {self.resample!r}")
        if self.intensity not in INTENSITY_MODES:
            raise ValueError(f"unknown intensity standardisation {self.intensity!r}")
        if self.input_size < 8 or not (math.isfinite(self.std) and self.std > 0) or not math.isfinite(self.mean):
            raise ValueError("input_size must be >= 8, mean finite and std finite and > 0")


def squash(gray_u8: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Resize the whole 2-D uint8 image to input_size x input_size, ignoring aspect ratio."""
    if gray_u8.ndim != 2 or gray_u8.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 array, got {gray_u8.dtype} {gray_u8.shape}")
    size = spec.input_size
    if gray_u8.shape == (size, size):
        return np.ascontiguousarray(gray_u8)
    resized = Image.fromarray(gray_u8, mode="L").resize((size, size), RESAMPLE_FILTERS[spec.resample])
    return np.asarray(resized, dtype=np.uint8)


def equalize(gray_u8: np.ndarray) -> np.ndarray:
    """Global histogram equalisation of a 2-D uint8 image (the darkest level maps to 0, the
    brightest to 255; a constant image stays as it is)."""
    hist = np.bincount(gray_u8.ravel(), minlength=256)
    cdf = np.cumsum(hist)
    lowest = cdf[int(np.flatnonzero(hist)[0])]
    span = cdf[-1] - lowest
    if span <= 0:
        return gray_u8.copy()
    lut = np.floor((cdf - lowest) * (255.0 / span) + 0.5).clip(0, 255).astype(np.uint8)
    return lut[gray_u8]


def standardize(gray_u8: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """Step 3: the card's intensity standardisation of a squashed uint8 image (2-D)."""
    return equalize(gray_u8) if spec.intensity == "equalize" else gray_u8


def normalize(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """uint8 (or float in 0..255) of any shape -> float32 ((x / 255) - mean) / std."""
    x = pixels.astype(np.float32) * np.float32(1.0 / 255.0)
    return (x - np.float32(spec.mean)) * np.float32(1.0 / spec.std)


def preprocess_array(gray_u8: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """2-D uint8 display pixels -> float32 tensor of shape (1, 1, S, S)."""
    return normalize(standardize(squash(gray_u8, spec), spec), spec)[None, None]


def preprocess(image: XrayImage, spec: PreprocessSpec) -> np.ndarray:
    """An XrayImage -> the model's input tensor, shape (1, 1, S, S), float32."""
    return preprocess_array(image.display, spec)
