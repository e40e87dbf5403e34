"""Draws report pages (``service.report.ReportPage``, ``service.summary.SummaryReport``) with
QPainter: into a PDF (QPdfWriter), onto a printer (QPrinter) or into an image. Qt's own PDF and
print classes; no widgets, so the command line can use it with no display (offscreen).

Everything is laid out in points (1/72 inch) on A4; the painter is scaled to the device's
resolution. All text is drawn as plain text (``drawText``), never as rich text.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from cxr_desktop import APP_NAME
from cxr_desktop.private_files import write_private
from cxr_desktop.service.report import ReportPage
from cxr_desktop.service.wording import Banner
from cxr_desktop.ui.colormap import heatmap_colormap
from cxr_desktop.ui.report_layout import PageCanvas, draw_rows

A4_POINTS = QSizeF(595.0, 842.0)
MARGIN = 36.0
PDF_DPI = 300
HEATMAP_OPACITY = 0.45  # the viewer's default
BANNER_COLORS = {Banner.NONE: ("#e3f2fd", "#0d2b45"), Banner.UNCERTAIN: ("#ffb300", "#1a1a1a"),
                 Banner.NOT_XRAY: ("#c62828", "#ffffff")}


def ensure_gui_application() -> QGuiApplication:
    """A QGuiApplication for painting; with no display (a server, ``cxr-desktop report``) it
    renders offscreen. Must run before anything else creates a Qt application."""
    app = QGuiApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    no_display = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if no_display and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return QGuiApplication([APP_NAME])


# -- images -------------------------------------------------------------------------------------


def _gray(png: bytes | None) -> np.ndarray | None:
    if not png:
        return None
    try:
        with Image.open(io.BytesIO(png)) as img:
            return np.asarray(img.convert("L"), dtype=np.uint8)
    except (OSError, ValueError):  # a damaged stored image: the page is printed without it
        return None


def overlay_rgb(preview: np.ndarray, heat: np.ndarray | None) -> np.ndarray:
    """The grey X-ray as RGB with the heatmap blended over it (as the viewer shows it)."""
    rgb = np.repeat(preview[..., None].astype(np.float32), 3, axis=2)
    if heat is not None:
        size = (preview.shape[1], preview.shape[0])
        heat = np.asarray(Image.fromarray(heat).resize(size, Image.Resampling.BILINEAR))
        table = heatmap_colormap().astype(np.float32)
        colour, alpha = table[heat, :3], table[heat, 3:] / 255.0 * HEATMAP_OPACITY * 2
        alpha = np.clip(alpha, 0.0, 1.0)
        rgb = rgb * (1.0 - alpha) + colour * alpha
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def _qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()


def report_images(page: ReportPage) -> tuple[QImage | None, QImage | None]:
    preview = _gray(page.preview_png)
    if preview is None:
        return None, None
    plain = _qimage(overlay_rgb(preview, None))
    heat = _gray(page.heatmap_png)
    return plain, (_qimage(overlay_rgb(preview, heat)) if heat is not None else None)


# -- one page -----------------------------------------------------------------------------------


def draw_qr(painter: QPainter, text: str, rect: QRectF) -> None:
    import segno

    matrix = segno.make_qr(text, error="m").matrix
    n = len(matrix) + 8  # a quiet zone of 4 modules on each side
    module = min(rect.width(), rect.height()) / n
    painter.fillRect(QRectF(rect.x(), rect.y(), module * n, module * n), QColor("white"))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.fillRect(QRectF(rect.x() + (x + 4) * module, rect.y() + (y + 4) * module,
                                        module, module), QColor("black"))


#: The X-ray and heatmap pictures' side at most, and at the least when the page is crowded.
IMAGE_BOX = 230.0
MIN_IMAGE_BOX = 110.0


def paint_report(painter: QPainter, page: ReportPage) -> None:
    """One report page, in points, inside an A4 page's margins. The pictures shrink as far as
    needed for every row below them (a long note, cautions, the reviewer's line) to fit on the
    page with the fonts of this computer: laid out once on a scratch image to measure."""
    scratch = QImage(round(A4_POINTS.width()), round(A4_POINTS.height()),
                     QImage.Format.Format_RGB32)
    measuring = QPainter(scratch)
    try:
        review_end, end = _paint_report(measuring, page, IMAGE_BOX, cut=False)
        overflow = max(review_end - _review_bottom(), end - _rows_bottom())
    finally:
        measuring.end()
    box = IMAGE_BOX if overflow <= 0 else max(MIN_IMAGE_BOX, IMAGE_BOX - overflow - 6)
    _paint_report(painter, page, box, cut=True)


def _footer_top() -> float:
    return A4_POINTS.height() - MARGIN - 64


def _review_bottom() -> float:
    return _footer_top() - 70


def _rows_bottom() -> float:
    return _footer_top() - 24


def _paint_report(painter: QPainter, page: ReportPage, image_box: float,
                  cut: bool) -> tuple[float, float]:
    """Lay the page out with pictures of side ``image_box``; returns the y below the review
    rows and below the last row (with ``cut``, rows that do not fit above the footer are cut)."""
    c = PageCanvas(painter, A4_POINTS, MARGIN)
    if page.clinic_name:
        c.text(page.clinic_name, size=14, bold=True)
    if page.clinic_address:
        c.text(page.clinic_address, size=9, color="#333333")
    c.text(page.title, size=13, bold=True, gap=6)
    c.rule()
    top = c.y
    half = (c.width - 16) / 2
    left_end = draw_rows(c, page.patient, c.left, top, half, label_width=78)
    right_end = draw_rows(c, page.study, c.left + half + 16, top, half, label_width=70, size=8)
    c.y = max(left_end, right_end) + 8
    plain, heat = report_images(page)
    if plain is not None:
        box = min(half, image_box)
        for i, image in enumerate((plain, heat)):
            x = c.left + i * (half + 16) + (half - box) / 2
            if image is not None:
                w, h = image.width(), image.height()
                f = min(box / w, box / h)
                target = QRectF(x + (box - w * f) / 2, c.y, w * f, h * f)
                painter.drawImage(target, image)
            caption = page.image_captions[i]
            c.text_at(caption, QRectF(x, c.y + box + 2, box, 12), size=8, color="#333333",
                      align=Qt.AlignmentFlag.AlignHCenter)
        c.y += box + 18
    background, foreground = BANNER_COLORS[page.banner]
    if page.banner_text:
        c.boxed(page.banner_text, background, foreground, size=11, bold=True)
    c.text(page.finding, size=12, bold=True, gap=4)
    for name, percent, value in page.probabilities:
        c.bar(name, percent, value, highlight=name == page.top_label)
    c.y += 4
    c.y = draw_rows(c, page.flags, c.left, c.y, c.width, label_width=190, size=9) + 2
    for caution in page.cautions:
        c.boxed(caution, "#fff3e0", "#4e2600", size=9)
    c.rule()
    footer_top = _footer_top()
    c.y = draw_rows(c, page.review, c.left, c.y, c.width, label_width=150, size=9,
                    bottom=_review_bottom() if cut else 10_000)
    review_end = c.y
    end = draw_rows(c, page.model, c.left, c.y + 2, c.width, label_width=150, size=8,
                    bottom=_rows_bottom() if cut else 10_000)
    c.text_at(page.disclaimer, QRectF(c.left, footer_top - 22, c.width, 20), size=9,
              italic=True, color="#6d4c41")
    painter.setPen(QPen(QColor("#9e9e9e"), 0.6))
    painter.drawLine(c.left, footer_top, c.left + c.width, footer_top)
    c.text_at(page.footer, QRectF(c.left, footer_top + 6, c.width - 80, 40), size=8,
              color="#333333")
    draw_qr(painter, page.qr_payload, QRectF(c.left + c.width - 62, footer_top + 2, 62, 62))
    return review_end, end


# -- devices ------------------------------------------------------------------------------------


def paint_pages(painter: QPainter, device_dpi: float, pages: Sequence[object],
                new_page) -> None:
    """Every page through ``painter`` scaled from points to the device; ``new_page()`` between."""
    from cxr_desktop.ui.summary_pdf import paint_summary

    for i, page in enumerate(pages):
        if i:
            new_page()
        painter.save()
        painter.scale(device_dpi / 72.0, device_dpi / 72.0)
        if isinstance(page, ReportPage):
            paint_report(painter, page)
        else:
            paint_summary(painter, page)
        painter.restore()


def pdf_bytes(pages: Sequence[object], title: str = "") -> bytes:
    """The pages as a PDF document (A4, in memory)."""
    ensure_gui_application()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    writer.setTitle(title or APP_NAME)
    writer.setCreator(APP_NAME)
    painter = QPainter(writer)
    try:
        paint_pages(painter, PDF_DPI, pages, writer.newPage)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def write_pdf(path: str | os.PathLike[str], pages: Sequence[object], title: str = "") -> Path:
    """Write the pages to ``path``: private (0600) and atomic. Raises OSError."""
    return write_private(path, pdf_bytes(pages, title))


def page_image(page: object, dpi: int = 100) -> QImage:
    """One page drawn into an image (white A4 at ``dpi``)."""
    ensure_gui_application()
    image = QImage(round(A4_POINTS.width() * dpi / 72), round(A4_POINTS.height() * dpi / 72),
                   QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        paint_pages(painter, dpi, [page], lambda: None)
    finally:
        painter.end()
    return image


def print_pages(printer, pages: Sequence[object]) -> None:
    """Print on a QPrinter set up by the print dialog (its resolution, A4 paint area)."""
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                      QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter(printer)
    try:
        paint_pages(painter, printer.resolution(), pages, printer.newPage)
    finally:
        painter.end()
