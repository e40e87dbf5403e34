"""The quality view's charts, drawn with QPainter (no web engine, no plotting library): a
reliability diagram and month-by-month trends against the band the model card expects. Each chart
paints into any rectangle, so the same drawing goes on screen, into a PNG and into a PDF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPaintEvent,
    QPdfWriter,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from cxr_desktop.i18n import format_percent

INK = QColor("#1f2933")
GRID = QColor("#d9dee3")
POINT = QColor("#1f5f99")
BAND = QColor(46, 125, 50, 40)
BAND_LINE = QColor("#2e7d32")
SHIFT_LINE = QColor("#b26a00")
ALARM = QColor("#b23c17")


@dataclass(frozen=True)
class Point:
    label: str  # the x category ("2026-03", "95-98%")
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    expected: float | None = None  # a second marker (the bin's mean confidence)


@dataclass(frozen=True)
class ChartData:
    title: str
    points: tuple[Point, ...]
    y_label: str
    band_top: float | None = None  # the expected band: 0 .. band_top
    reference: float | None = None  # the card's own figure (a dashed line)
    shifted: float | None = None  # the card's figure under style shift (a dotted line)
    percent: bool = True
    y_min: float | None = None
    y_max: float | None = None
    diagonal: bool = False  # reliability: the expected marker per bin instead of a band
    note: str = ""


def _fmt(value: float, percent: bool) -> str:
    return format_percent(value, 0) if percent else f"{value:.2f}"


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering low..high."""
    import math

    span = max(high - low, 1e-9)
    for step in sorted(m * 10.0**e for e in range(-4, 3) for m in (1, 2, 2.5, 5)):
        if span / step <= most:
            break
    first = math.floor(low / step + 1e-9) * step
    ticks, v = [], first
    while v <= high + 1e-9:
        if v >= low - 1e-9:
            ticks.append(round(v, 10))
        v += step
    return ticks


def _y_range(data: ChartData) -> tuple[float, float]:
    values = [v for p in data.points for v in (p.value, p.low, p.high, p.expected) if v is not None]
    values += [v for v in (data.band_top, data.reference, data.shifted) if v is not None]
    low = data.y_min if data.y_min is not None else min(values + [0.0])
    high = data.y_max if data.y_max is not None else max(values + [0.05]) * 1.1
    if data.percent:
        high = min(1.0, high)
    return low, max(high, low + 1e-6)


def paint_chart(painter: QPainter, rect: QRectF, data: ChartData) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(rect, QColor("white"))
    font = QFont(painter.font())
    metrics_h = max(10.0, min(14.0, rect.height() / 24, rect.width() / 48))
    font.setPixelSize(int(metrics_h))
    painter.setFont(font)
    note_h = metrics_h * 2.8 if data.note else 0.0
    painter.setPen(INK)
    title_rect = QRectF(rect.left() + 8, rect.top() + 4, rect.width() - 16, metrics_h * 1.6)
    painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     data.title)
    top = title_rect.bottom() + metrics_h * 0.6
    plot = QRectF(rect.left() + metrics_h * 3.6, top, rect.width() - metrics_h * 4.4,
                  rect.bottom() - top - note_h - metrics_h * 2.9)
    if plot.width() < 20 or plot.height() < 20:
        painter.restore()
        return
    low, high = _y_range(data)
    ticks = nice_ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])

    def y_at(v: float) -> float:
        return plot.bottom() - (v - low) / (high - low) * plot.height()

    for v in nice_ticks(low, high):  # grid and y labels
        painter.setPen(QPen(GRID, 1))
        painter.drawLine(QPointF(plot.left(), y_at(v)), QPointF(plot.right(), y_at(v)))
        painter.setPen(INK)
        painter.drawText(QRectF(rect.left(), y_at(v) - metrics_h, plot.left() - rect.left() - 4,
                                metrics_h * 2), Qt.AlignmentFlag.AlignRight
                         | Qt.AlignmentFlag.AlignVCenter, _fmt(v, data.percent))
    if data.band_top is not None:
        top = min(max(data.band_top, low), high)
        painter.fillRect(QRectF(plot.left(), y_at(top), plot.width(), y_at(low) - y_at(top)), BAND)
    for value, colour, style in ((data.reference, BAND_LINE, Qt.PenStyle.DashLine),
                                 (data.shifted, SHIFT_LINE, Qt.PenStyle.DotLine)):
        if value is not None and low <= value <= high:
            painter.setPen(QPen(colour, 1.5, style))
            painter.drawLine(QPointF(plot.left(), y_at(value)), QPointF(plot.right(), y_at(value)))
    n = max(1, len(data.points))
    step = plot.width() / n
    radius = max(3.0, min(6.0, step / 6))
    for i, p in enumerate(data.points):
        x = plot.left() + step * (i + 0.5)
        if p.expected is not None:  # the bin's mean confidence: what a calibrated model gives
            painter.setPen(QPen(BAND_LINE, 2))
            painter.drawLine(QPointF(x - step * 0.3, y_at(p.expected)),
                             QPointF(x + step * 0.3, y_at(p.expected)))
        if p.value is not None:
            above = data.band_top is not None and p.low is not None and p.low > data.band_top
            colour = ALARM if above else POINT
            if p.low is not None and p.high is not None:
                painter.setPen(QPen(colour, 1.5))
                painter.drawLine(QPointF(x, y_at(max(p.low, low))), QPointF(x, y_at(min(p.high,
                                                                                        high))))
            painter.setPen(QPen(colour, 1))
            painter.setBrush(colour)
            painter.drawEllipse(QPointF(x, y_at(min(max(p.value, low), high))), radius, radius)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(INK)
        label_rect = QRectF(x - step / 2, plot.bottom() + 2, step, metrics_h * 1.3)
        painter.drawText(label_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         p.label)
        painter.setPen(QColor("#6b7785"))
        painter.drawText(label_rect.translated(0, metrics_h * 1.2),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         f"n={p.n}" if p.n else "")
    painter.setPen(QPen(INK, 1))
    painter.drawRect(plot)
    if data.note:
        painter.setPen(QColor("#6b7785"))
        painter.drawText(QRectF(rect.left() + 8, rect.bottom() - note_h, rect.width() - 16,
                                note_h), int(Qt.AlignmentFlag.AlignLeft
                                             | Qt.AlignmentFlag.AlignBottom
                                             | Qt.TextFlag.TextWordWrap), data.note)
    painter.restore()


class ChartWidget(QWidget):
    """One chart on screen."""

    def __init__(self, data: ChartData | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.setMinimumSize(QSize(280, 190))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, data: ChartData | None) -> None:
        self.data = data
        self.setAccessibleName(data.title if data else "")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        if self.data is not None:
            paint_chart(painter, QRectF(self.rect()), self.data)
        painter.end()


def _grid(charts: Sequence[ChartData], width: float, height: float, columns: int = 2):
    rows = max(1, (len(charts) + columns - 1) // columns)
    w, h = width / columns, height / rows
    for i, data in enumerate(charts):
        r, c = divmod(i, columns)
        yield QRectF(c * w, r * h, w, h).marginsRemoved(QMarginsF(6, 6, 6, 6)), data


def charts_png(charts: Sequence[ChartData], width: int = 1600, height: int = 1200) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    for rect, data in _grid(charts, width, height):
        paint_chart(painter, rect, data)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def charts_pdf(charts: Sequence[ChartData], title: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setResolution(150)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Landscape, QMarginsF(10, 10, 10, 10)))
    painter = QPainter(writer)
    page = writer.pageLayout().paintRectPixels(writer.resolution())
    for rect, chart in _grid(charts, page.width(), page.height()):
        paint_chart(painter, rect, chart)
    painter.end()
    buffer.close()
    return bytes(data)
