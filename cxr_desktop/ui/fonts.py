"""Fonts for every shipped script. The Latin UI uses the system's font; Bengali and Arabic use
Noto Sans Bengali and Noto Naskh Arabic, bundled in assets/fonts (SIL Open Font License,
assets/fonts/OFL.txt) so that the one-file executable renders them on a PC that has no such
font, and registered with Qt at start. ``font_for(language)`` puts the script's font first for
Arabic (its Latin falls back to the system font) and after the system font for Bengali (whose
Latin the system font draws better)."""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase

from cxr_desktop import paths

log = logging.getLogger(__name__)

BUNDLED = ("NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf",
           "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf")
SCRIPT_FAMILIES = {"bn": "Noto Sans Bengali", "ar": "Noto Naskh Arabic"}
_registered: dict[str, list[str]] = {}


def register_bundled_fonts() -> dict[str, list[str]]:
    """Add the bundled fonts to Qt (once); {file: families}. A missing file is logged, not fatal:
    the system's fonts are used instead."""
    if _registered:
        return _registered
    for name in BUNDLED:
        path = paths.resource_path("assets", "fonts", name)
        font_id = QFontDatabase.addApplicationFont(str(path)) if path.is_file() else -1
        if font_id < 0:
            log.warning("bundled font not loaded: %s", name)
            continue
        _registered[name] = list(QFontDatabase.applicationFontFamilies(font_id))
    return _registered


def font_for(language: str, base: QFont) -> QFont:
    """``base`` with the language's script font in its families."""
    font = QFont(base)
    script = SCRIPT_FAMILIES.get(language.split("_")[0])
    if script is None:
        return font
    families = [f for f in base.families() or [base.family()] if f != script]
    font.setFamilies([script, *families] if language.startswith("ar") else [*families, script])
    return font
