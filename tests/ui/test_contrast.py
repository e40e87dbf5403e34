"""Text contrast meets WCAG 2.1 AA (4.5:1 for normal text) in the styles the window uses: the
result banners, the probability bars, the grey detail lines, and the application's palette."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QColor, QPalette

from cxr_desktop.ui import prediction_panel as pp

AA = 4.5


def luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) \
        + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def colours(style: str) -> tuple[QColor, QColor]:
    background = re.search(r"background:\s*(#[0-9a-fA-F]{6})", style).group(1)
    text = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", style).group(1)
    return QColor(background), QColor(text)


def test_the_formula_matches_known_values():
    assert contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast(QColor("#767676"), QColor("#ffffff")) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("name", ["AMBER_STYLE", "RED_STYLE", "INFO_STYLE", "CAUTION_STYLE"])
def test_banners(name):
    background, text = colours(getattr(pp, name))
    assert contrast(background, text) >= AA, name


@pytest.mark.parametrize("bar", [pp.TOP_COLOR, pp.OTHER_COLOR, "#f5f5f5"])
def test_percentages_on_the_bars(bar):
    text = QColor(re.search(r"color:(#[0-9a-f]{6})", pp.BAR_STYLE).group(1))
    assert contrast(QColor(bar), text) >= AA


def test_grey_lines_and_the_palette(qapp, app_home):
    from cxr_desktop.ui.app import create_application

    app = create_application()
    palette = app.palette()
    role = QPalette.ColorRole
    window = palette.color(role.Window)
    for grey in ("#4a4a4a", "#6d4c41"):  # details, patient hint; disclaimer
        assert contrast(window, QColor(grey)) >= AA, grey
    pairs = [(role.WindowText, role.Window), (role.Text, role.Base), (role.ButtonText, role.Button),
             (role.HighlightedText, role.Highlight), (role.PlaceholderText, role.Base),
             (role.ToolTipText, role.ToolTipBase), (role.Text, role.AlternateBase)]
    for fg, bg in pairs:
        ratio = contrast(palette.color(fg), palette.color(bg))
        assert ratio >= AA, f"{fg.name} on {bg.name}: {ratio:.2f}"
    assert contrast(QColor(200, 200, 200), QColor(16, 16, 16)) >= AA  # the viewer's hint
