"""Pixels for the viewer: numpy arrays wrapped as QImages, the heatmap as a coloured pixmap, and
smaller copies of a colour picture on the same grid as the grey pyramid."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage, QPixmap

from cxr_desktop.ui.colormap import argb_table, heatmap_colormap

HEATMAP_MAX_SIDE = 512
_HEAT_TABLE = argb_table(heatmap_colormap())


def gray_qimage(gray: np.ndarray) -> QImage:
    """Wrap a contiguous 2-D uint8 array (the caller keeps the array alive) as a grey QImage."""
    h, w = gray.shape
    return QImage(gray.data, w, h, gray.strides[0], QImage.Format.Format_Grayscale8)


def rgb_qimage(rgb: np.ndarray) -> QImage:
    """Wrap a contiguous (h, w, 3) uint8 array (kept alive by the caller) as an RGB QImage."""
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)


def heat_for_drawing(heat: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """A heatmap of any size (the model's 7x7, or an older reading's preview-sized map) ->
    smoothly resampled once to the image's shape, at most HEATMAP_MAX_SIDE on its longest side;
    the view stretches that over the image."""
    w, h = image_size
    f = min(1.0, HEATMAP_MAX_SIDE / max(w, h, 1))
    size = (max(1, round(w * f)), max(1, round(h * f)))
    if (heat.shape[1], heat.shape[0]) == size:
        return heat
    return np.asarray(Image.fromarray(heat).resize(size, Image.Resampling.BILINEAR), dtype=np.uint8)


def heat_pixmap(heat: np.ndarray, image_size: tuple[int, int]) -> tuple[QPixmap, tuple[float, float]]:
    """The heatmap in colour (alpha grows with the value) and the scale that stretches it over
    an image of ``image_size`` (width, height)."""
    heat = np.ascontiguousarray(heat_for_drawing(heat, image_size))
    qimg = QImage(heat.data, heat.shape[1], heat.shape[0], heat.strides[0],
                  QImage.Format.Format_Indexed8)
    qimg.setColorTable(_HEAT_TABLE)
    pixmap = QPixmap.fromImage(qimg.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied))
    w, h = image_size
    return pixmap, (w / heat.shape[1], h / heat.shape[0])


def reduce_like(rgb: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A box-filtered copy of a colour picture with the grey pyramid level's ``shape``."""
    return np.ascontiguousarray(np.asarray(Image.fromarray(rgb).resize(
        (int(shape[1]), int(shape[0])), Image.Resampling.BOX), dtype=np.uint8))
