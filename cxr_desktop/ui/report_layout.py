"""A top-to-bottom text layout on a page in points, for the report and summary painters: plain
text only (``drawText`` never interprets markup), wrapped, with a cursor ``y``."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen


def _wrap(text: str) -> Qt.TextFlag:
    """Words wrap at spaces; one long word (a UID, a checksum) wraps anywhere."""
    return Qt.TextFlag.TextWrapAnywhere if " " not in text.strip() else Qt.TextFlag.TextWordWrap


def font(size: float, bold: bool = False, italic: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(max(1, round(size)))  # one pixel of the layout is one point
    f.setBold(bold)
    f.setItalic(italic)
    return f


class PageCanvas:
    def __init__(self, painter: QPainter, page: QSizeF, margin: float) -> None:
        self.painter = painter
        self.left = margin
        self.width = page.width() - 2 * margin
        self.bottom = page.height() - margin
        self.y = margin

    def measure(self, text: str, width: float, size: float, bold: bool = False,
                italic: bool = False) -> float:
        self.painter.setFont(font(size, bold, italic))
        flags = _wrap(text) | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        return self.painter.boundingRect(QRectF(0, 0, width, 10_000), flags, text).height()

    def text_at(self, text: str, rect: QRectF, size: float = 10, bold: bool = False,
                italic: bool = False, color: str = "#111111",
                align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> float:
        """Draw wrapped plain text inside ``rect`` (clipped to it); returns its height."""
        self.painter.setFont(font(size, bold, italic))
        self.painter.setPen(QColor(color))
        flags = _wrap(text) | Qt.AlignmentFlag.AlignTop | align
        bounds = self.painter.boundingRect(rect, flags, text)
        self.painter.save()
        self.painter.setClipRect(rect)
        self.painter.drawText(rect, flags, text)
        self.painter.restore()
        return min(bounds.height(), rect.height())

    def text(self, text: str, size: float = 10, bold: bool = False, italic: bool = False,
             color: str = "#111111", gap: float = 2) -> None:
        height = self.measure(text, self.width, size, bold, italic)
        self.text_at(text, QRectF(self.left, self.y, self.width, height + 1), size, bold,
                     italic, color)
        self.y += height + gap

    def rule(self, gap: float = 6) -> None:
        self.y += gap / 2
        self.painter.setPen(QPen(QColor("#9e9e9e"), 0.6))
        self.painter.drawLine(self.left, self.y, self.left + self.width, self.y)
        self.y += gap

    def boxed(self, text: str, background: str, foreground: str, size: float = 10,
              bold: bool = False, pad: float = 5) -> None:
        height = self.measure(text, self.width - 2 * pad, size, bold) + 2 * pad
        self.painter.setPen(Qt.PenStyle.NoPen)
        self.painter.setBrush(QColor(background))
        self.painter.drawRoundedRect(QRectF(self.left, self.y, self.width, height), 4, 4)
        self.text_at(text, QRectF(self.left + pad, self.y + pad, self.width - 2 * pad,
                                  height - 2 * pad + 1), size, bold, color=foreground)
        self.y += height + 4

    def bar(self, name: str, percent: str, value: float, highlight: bool, size: float = 9) -> None:
        """One probability: its name, a bar as wide as the probability, the percentage."""
        label_w, text_w, h = 110.0, 50.0, 12.0
        self.text_at(name, QRectF(self.left, self.y, label_w, h + 2), size)
        track = QRectF(self.left + label_w, self.y + 1, self.width - label_w - text_w - 6, h - 2)
        self.painter.setPen(QPen(QColor("#9e9e9e"), 0.5))
        self.painter.setBrush(QColor("#f5f5f5"))
        self.painter.drawRect(track)
        filled = QRectF(track.x(), track.y(), track.width() * max(0.0, min(1.0, value)),
                        track.height())
        self.painter.setPen(Qt.PenStyle.NoPen)
        self.painter.setBrush(QColor("#64b5f6" if highlight else "#b0bec5"))
        self.painter.drawRect(filled)
        self.text_at(percent, QRectF(track.right() + 6, self.y, text_w, h + 2), size, bold=True)
        self.y += h + 3


def draw_rows(canvas: PageCanvas, rows: Sequence[tuple[str, str]], x: float, y: float,
              width: float, label_width: float, size: float = 9,
              bottom: float | None = None) -> float:
    """"Label  value" rows, the value wrapped in its column; returns the y below the last row.
    Below ``bottom`` a value is cut off (a very long note cannot push the page off the paper)."""
    limit = canvas.bottom if bottom is None else bottom
    for label, value in rows:
        if y >= limit:
            break
        value_w = width - label_width - 6
        height = max(canvas.measure(label, label_width, size, bold=True),
                     canvas.measure(value, value_w, size))
        height = min(height, limit - y)
        canvas.text_at(label, QRectF(x, y, label_width, height + 1), size, bold=True,
                       color="#333333")
        canvas.text_at(value, QRectF(x + label_width + 6, y, value_w, height + 1), size)
        y += height + 2
    return y
