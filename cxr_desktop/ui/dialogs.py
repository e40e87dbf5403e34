"""Message helpers and the two text dialogs: About (with the model card) and the first-run
disclaimer. Message boxes go through QMessageBox's static methods (tests patch those)."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop import APP_NAME, __version__
from cxr_desktop.core.errors import CxrError
from cxr_desktop.core.model_card import ModelCard
from cxr_desktop.ui.plain import rich_text

log = logging.getLogger(__name__)

DISCLAIMER_SHORT = "Second opinion only, not a diagnosis. A clinician must confirm every finding."

INTENDED_USE = (
    "CXR Desktop looks at a frontal (PA or AP) chest X-ray and says whether it shows a pattern "
    "consistent with COVID-19, viral pneumonia, or no such finding (normal). It is meant to give "
    "health workers in clinics without a radiologist a second opinion and to help decide which "
    "patients to refer."
)
LIMITATIONS = [
    "It is not a diagnosis and must not be used alone to treat or discharge a patient.",
    "It only knows three classes. Other diseases (tuberculosis, bacterial pneumonia, tumours, "
    "fractures, heart failure ...) may be shown as one of these classes or as uncertain.",
    "It was trained on public image collections; it may be less accurate for children, for "
    "other X-ray machines, and for lateral or poor-quality images.",
    "When it says \u201cuncertain\u201d or \u201cdoes not look like a chest X-ray\u201d, do not "
    "use its answer: refer the patient to a radiologist or a doctor.",
    "The coloured heatmap shows where the model looked, not where the disease is.",
]


def error_text(exc: BaseException) -> str:
    if isinstance(exc, CxrError):
        return exc.message
    if isinstance(exc, MemoryError):
        return "There is not enough memory to do this. Close other programs and try again."
    return "Something unexpected went wrong. The details were written to the log file."


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.warning(parent, title, rich_text(message))


def show_info(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.information(parent, title, rich_text(message))


def confirm(parent: QWidget | None, title: str, question: str) -> bool:
    answer = QMessageBox.question(
        parent, title, rich_text(question),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def _card_html(card: ModelCard | None, model_error: str | None) -> str:
    if card is None:
        reason = html.escape(model_error or "The AI model is not available.")
        return f"<h3>AI model</h3><p style='color:#b71c1c'><b>Not loaded.</b> {reason}</p>"
    rows = [
        ("Name", card.name),
        ("Version", card.version),
        ("Classes", ", ".join(card.display_label(x) for x in card.labels)),
        ("Uncertain below", f"{card.uncertain_below:.0%} top probability"),
        ("Calibration", f"temperature {card.temperature:.3g}" + (
            ", class offsets " + ", ".join(f"{b:+.2f}" for b in card.logit_bias)
            if card.logit_bias else "")),
        ("Input", f"{card.preprocess.input_size} x {card.preprocess.input_size} grey levels"),
        ("File checksum", f"sha256 {card.sha256[:16]}\u2026"),
    ]
    for key in ("description", "training_data", "metrics", "date", "license"):
        value = card.raw.get(key)
        if value:
            if isinstance(value, dict):
                value = ", ".join(
                    f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}" for k, v in value.items())
            rows.append((key.replace("_", " ").capitalize(), str(value)))
    body = "".join(
        f"<tr><td style='padding-right:12px'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
        for k, v in rows)
    extra = ""
    for key in ("intended_use", "limitations"):
        value = card.raw.get(key)
        if isinstance(value, str) and value:
            extra += f"<p><b>{key.replace('_', ' ').capitalize()}:</b> {html.escape(value)}</p>"
        elif isinstance(value, list) and value:
            items = "".join(f"<li>{html.escape(str(v))}</li>" for v in value)
            extra += f"<p><b>{key.replace('_', ' ').capitalize()}:</b></p><ul>{items}</ul>"
    return f"<h3>AI model (model card)</h3><table>{body}</table>{extra}"


def about_html(card: ModelCard | None, model_error: str | None = None) -> str:
    limits = "".join(f"<li>{html.escape(x)}</li>" for x in LIMITATIONS)
    return (
        f"<h2>{APP_NAME} {html.escape(__version__)}</h2>"
        "<p>An offline chest X-ray assistant. Nothing leaves this computer.</p>"
        f"<h3>Intended use</h3><p>{html.escape(INTENDED_USE)}</p>"
        f"<h3>Limitations</h3><ul>{limits}</ul>"
        f"{_card_html(card, model_error)}"
    )


class _TextDialog(QDialog):
    def __init__(self, title: str, body_html: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(body_html)
        layout.addWidget(self.browser)


class AboutDialog(_TextDialog):
    def __init__(self, card: ModelCard | None, model_error: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(f"About {APP_NAME}", about_html(card, model_error), parent)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        self.layout().addWidget(buttons)


class DisclaimerDialog(_TextDialog):
    """Shown until accepted once. Accept = 'I understand', reject = quit the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        limits = "".join(f"<li>{html.escape(x)}</li>" for x in LIMITATIONS)
        body = (
            f"<h2>Before you start</h2><p>{html.escape(INTENDED_USE)}</p>"
            f"<p><b>Please read:</b></p><ul>{limits}</ul>"
            "<p>Readings are stored only on this computer, in the history.</p>"
        )
        super().__init__(f"{APP_NAME}: please read", body, parent)
        question = QLabel("<b>Do you understand that the results are a second opinion only?</b>", self)
        question.setWordWrap(True)
        question.setTextFormat(Qt.TextFormat.RichText)
        self.layout().addWidget(question)
        buttons = QDialogButtonBox(self)
        self.accept_button = buttons.addButton("I understand", QDialogButtonBox.ButtonRole.AcceptRole)
        self.quit_button = buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.layout().addWidget(buttons)
        self.accept_button.setDefault(True)
