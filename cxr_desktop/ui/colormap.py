"""Lookup tables for the viewer (numpy only, no Qt): window/level and the heatmap colour map."""

from __future__ import annotations

import numpy as np

#: Window/level of the unmodified 8-bit display image.
DEFAULT_CENTER = 127.5
DEFAULT_WIDTH = 256.0
MIN_WIDTH = 2.0


def window_level_lut(center: float, width: float, invert: bool = False) -> np.ndarray:
    """256-entry uint8 table mapping display grey levels through a window (centre, width)."""
    width = max(float(width), MIN_WIDTH)
    low = float(center) - width / 2.0
    values = np.arange(256, dtype=np.float64)
    out = np.clip((values - low) / width * 255.0 + 0.5, 0.0, 255.0).astype(np.uint8)
    if invert:
        out = (255 - out).astype(np.uint8)
    return out


def _turbo(x: np.ndarray) -> np.ndarray:
    """Polynomial approximation of Google's Turbo colour map, x in [0, 1] -> RGB in [0, 1]."""
    r = 0.13572138 + x * (4.61539260 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))))
    g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))))
    b = 0.10667330 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))))
    return np.clip(np.stack([r, g, b], axis=-1), 0.0, 1.0)


def heatmap_colormap() -> np.ndarray:
    """(256, 4) uint8 RGBA table: turbo-like colours, alpha growing with the value so that areas
    without evidence stay clear and the image underneath remains readable."""
    x = np.linspace(0.0, 1.0, 256)
    rgb = _turbo(0.15 + 0.85 * x)  # skip the darkest blues: they read as 'black' on an X-ray
    alpha = np.clip((x - 0.15) / 0.6, 0.0, 1.0) ** 0.8 * 0.85
    table = np.concatenate([rgb, alpha[:, None]], axis=1)
    return np.clip(table * 255.0 + 0.5, 0, 255).astype(np.uint8)


def argb_table(rgba: np.ndarray) -> list[int]:
    """(256, 4) RGBA uint8 -> 256 unsigned 32-bit ARGB ints (the layout of a QImage colour table)."""
    rgba = rgba.astype(np.uint32)
    values = (rgba[:, 3] << 24) | (rgba[:, 0] << 16) | (rgba[:, 1] << 8) | rgba[:, 2]
    return [int(v) for v in values]


def gray_table(lut: np.ndarray) -> list[int]:
    """A 256-entry uint8 grey LUT -> opaque ARGB colour table."""
    g = lut.astype(np.uint32)
    values = 0xFF000000 | (g << 16) | (g << 8) | g
    return [int(v) for v in values]
