"""Draws a page of the period summary (``service.summary.SummaryPage``) in points on A4."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSizeF
from PySide6.QtGui import QColor, QPainter

from cxr_desktop.service.summary import SummaryPage
from cxr_desktop.ui.report_layout import PageCanvas, draw_rows

A4_POINTS = QSizeF(595.0, 842.0)
MARGIN = 36.0
#: Column widths (points) of the referred list: reading, date, patient ID, name, result, confirmed.
COLUMNS = (40.0, 70.0, 60.0, 90.0, 170.0, 93.0)


def paint_summary(painter: QPainter, page: SummaryPage) -> None:
    c = PageCanvas(painter, A4_POINTS, MARGIN)
    if page.clinic_name:
        c.text(page.clinic_name, size=14, bold=True)
    if page.clinic_address:
        c.text(page.clinic_address, size=9, color="#333333")
    c.text(page.title, size=13, bold=True)
    c.text(page.period, size=10, gap=4)
    c.rule()
    if page.counts:
        c.y = draw_rows(c, page.counts, c.left, c.y, c.width, label_width=300, size=10) + 6
        c.rule()
    c.text(page.list_title, size=11, bold=True, gap=4)
    if page.rows:
        c.y = _table_row(c, page.header, bold=True)
        for i, row in enumerate(page.rows):
            if i % 2:
                painter.fillRect(QRectF(c.left, c.y - 1, c.width, 15), QColor("#f3f3f3"))
            c.y = _table_row(c, row)
    footer_top = A4_POINTS.height() - MARGIN - 14
    c.text_at(page.footer, QRectF(c.left, footer_top, c.width, 14), size=8, color="#333333")


def _table_row(c: PageCanvas, cells: list[str], bold: bool = False) -> float:
    x, height = c.left, 0.0
    for width, text in zip(COLUMNS, cells):
        height = max(height, c.text_at(text, QRectF(x, c.y, width - 4, 24), size=8, bold=bold))
        x += width
    return c.y + max(height, 11.0) + 3
