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
from cxr_desktop.core.labels import display_label
from cxr_desktop.core.model_card import ModelCard
from cxr_desktop.i18n import N_, _, format_percent
from cxr_desktop.service.wording import DISCLAIMER
from cxr_desktop.ui.plain import rich_text

log = logging.getLogger(__name__)

DISCLAIMER_SHORT = DISCLAIMER  # translated where shown

INTENDED_USE = N_(
    "CXR Desktop looks at a frontal (PA or AP) chest X-ray and says whether it shows a pattern "
    "consistent with COVID-19, viral pneumonia, or no such finding (normal). It is meant to give "
    "health workers in clinics without a radiologist a second opinion and to help decide which "
    "patients to refer."
)
LIMITATIONS = [
    N_("It is not a diagnosis and must not be used alone to treat or discharge a patient."),
    N_("It only knows three classes. Other diseases (tuberculosis, bacterial pneumonia, tumours, "
       "fractures, heart failure ...) may be shown as one of these classes or as uncertain."),
    N_("It was trained on public image collections; it may be less accurate for children, for "
       "other X-ray machines, and for lateral or poor-quality images."),
    N_("When it says \u201cuncertain\u201d or \u201cdoes not look like a chest X-ray\u201d, do "
       "not use its answer: refer the patient to a radiologist or a doctor."),
    N_("The coloured heatmap shows where the model looked, not where the disease is."),
]


def error_text(exc: BaseException) -> str:
    if isinstance(exc, CxrError):
        return exc.message
    if isinstance(exc, MemoryError):
        return _("There is not enough memory to do this. Close other programs and try again.")
    return _("Something unexpected went wrong. The details were written to the log file.")


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
        reason = html.escape(model_error or _("The AI model is not available."))
        return "<h3>{title}</h3><p style='color:#b71c1c'><b>{state}</b> {reason}</p>".format(
            title=html.escape(_("AI model")), state=html.escape(_("Not loaded.")), reason=reason)
    offsets = ", ".join(f"{b:+.2f}" for b in card.logit_bias) if card.logit_bias else ""
    rows = [
        (_("Name"), card.name),
        (_("Version"), card.version),
        (_("Classes"), ", ".join(display_label(x) for x in card.labels)),
        (_("Uncertain below"), _("{percent} top probability").format(
            percent=format_percent(card.uncertain_below))),
        (_("Calibration"), _("temperature {temperature}, class offsets {offsets}").format(
            temperature=f"{card.temperature:.3g}", offsets=offsets) if offsets
         else _("temperature {temperature}").format(temperature=f"{card.temperature:.3g}")),
        (_("Input"), _("{size} x {size} grey levels").format(size=card.preprocess.input_size)),
        (_("File checksum"), f"sha256 {card.sha256[:16]}\u2026"),
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
    title = html.escape(_("AI model (model card)"))
    return f"<h3>{title}</h3><table>{body}</table>{extra}"


def _limits_html() -> str:
    return "".join(f"<li>{html.escape(_(x))}</li>" for x in LIMITATIONS)


def about_html(card: ModelCard | None, model_error: str | None = None) -> str:
    return (
        f"<h2>{APP_NAME} {html.escape(__version__)}</h2>"
        f"<p>{html.escape(_('An offline chest X-ray assistant. Nothing leaves this computer.'))}</p>"
        f"<h3>{html.escape(_('Intended use'))}</h3><p>{html.escape(_(INTENDED_USE))}</p>"
        f"<h3>{html.escape(_('Limitations'))}</h3><ul>{_limits_html()}</ul>"
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
        super().__init__(_("About {app}").format(app=APP_NAME), about_html(card, model_error), parent)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        self.layout().addWidget(buttons)


class DisclaimerDialog(_TextDialog):
    """Shown until accepted once. Accept = 'I understand', reject = quit the app."""

    def __init__(self, parent: QWidget | None = None) -> None:
        body = (
            f"<h2>{html.escape(_('Before you start'))}</h2><p>{html.escape(_(INTENDED_USE))}</p>"
            f"<p><b>{html.escape(_('Please read:'))}</b></p><ul>{_limits_html()}</ul>"
            f"<p>{html.escape(_('Readings are stored only on this computer, in the history.'))}</p>"
        )
        super().__init__(_("{app}: please read").format(app=APP_NAME), body, parent)
        question = QLabel("<b>{}</b>".format(html.escape(
            _("Do you understand that the results are a second opinion only?"))), self)
        question.setWordWrap(True)
        question.setTextFormat(Qt.TextFormat.RichText)
        self.layout().addWidget(question)
        buttons = QDialogButtonBox(self)
        self.accept_button = buttons.addButton(_("I understand"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.quit_button = buttons.addButton(_("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.layout().addWidget(buttons)
        self.accept_button.setDefault(True)
