from __future__ import annotations

import numpy as np

from cxr_desktop.ui.colormap import argb_table, gray_table, heatmap_colormap, window_level_lut


def test_default_window_is_identity():
    assert np.array_equal(window_level_lut(127.5, 256), np.arange(256, dtype=np.uint8))


def test_invert_and_narrow_window():
    assert np.array_equal(window_level_lut(127.5, 256, invert=True), 255 - np.arange(256))
    lut = window_level_lut(100, 20)
    assert lut[89] == 0 and lut[111] == 255 and 100 < lut[101] < 160
    assert np.all(np.diff(lut.astype(int)) >= 0)


def test_heatmap_colormap_cold_is_clear_hot_is_visible():
    table = heatmap_colormap()
    assert table.shape == (256, 4) and table.dtype == np.uint8
    alpha = table[:, 3].astype(int)
    assert alpha[0] == 0 and alpha[255] > 180
    assert np.all(np.diff(alpha) >= 0)
    assert table[255, 0] > table[255, 2]  # hot end is red-ish
    assert table[60, 2] > table[60, 0]  # cool end is blue-ish


def test_qt_colour_tables():
    argb = argb_table(np.array([[1, 2, 3, 4]] * 256, np.uint8))
    assert argb[0] == 0x04010203
    assert gray_table(np.arange(256, dtype=np.uint8))[255] == 0xFFFFFFFF
