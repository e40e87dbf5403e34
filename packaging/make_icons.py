"""Regenerate the raster icons from assets/icons/app.svg.

    python packaging/make_icons.py

Writes assets/icons/app.png (256 px, window icon fallback, Linux desktop entry, macOS: PyInstaller
turns it into .icns) and assets/icons/app.ico (16-256 px, Windows executable and installer).
Renders with Qt's SVG renderer (QtSvg is in PySide6-Essentials) and packs the ICO with Pillow.
Runs headless (offscreen Qt platform).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "assets" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int) -> bytes:
    """The SVG rendered at size x size pixels, as PNG bytes (transparent background)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - needed alive
    svg = ICONS / "app.svg"
    png = ICONS / "app.png"
    png.write_bytes(render(svg, 256))
    # Each ICO size rendered from the vector source (sharper than downscaling the 256 px one).
    frames = [Image.open(io.BytesIO(render(svg, s))).convert("RGBA") for s in ICO_SIZES]
    largest = frames[-1]
    largest.save(ICONS / "app.ico", format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                 append_images=frames[:-1])
    print(f"wrote {png} and {ICONS / 'app.ico'} ({', '.join(map(str, ICO_SIZES))} px)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
