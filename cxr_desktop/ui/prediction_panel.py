"""PredictionPanel: what the model says about the image on screen, in careful words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.percent import percent
from cxr_desktop.core.types import Prediction, Reading
from cxr_desktop.ui.dialogs import DISCLAIMER_SHORT
from cxr_desktop.ui.plain import plain_label

AMBER_STYLE = ("background:#ffb300; color:#1a1a1a; border-radius:6px; padding:8px;"
               " font-weight:bold;")
RED_STYLE = "background:#c62828; color:#ffffff; border-radius:6px; padding:8px; font-weight:bold;"
INFO_STYLE = "background:#e3f2fd; color:#0d2b45; border-radius:6px; padding:8px;"
BAR_STYLE = ("QProgressBar {{ border:1px solid #9e9e9e; border-radius:4px; background:#f5f5f5;"
             " color:#111111; text-align:center; font-weight:bold; min-height:22px; }}"
             " QProgressBar::chunk {{ background:{color}; border-radius:3px; }}")
TOP_COLOR = "#64b5f6"
XRAY = "X\u2011ray"  # non-breaking hyphen: never wrap as "X-" / "ray"
OTHER_COLOR = "#cfd8dc"


@dataclass(frozen=True)
class ResultView:
    """What the panel shows, from a fresh Prediction or a stored Reading."""

    probabilities: dict[str, float]
    label: str
    uncertain: bool
    out_of_distribution: bool
    model_name: str
    model_version: str
    time_ms: float | None
    origin: str = ""  # e.g. 'Saved reading #12, 26 Nov 2026 18:25'
    ood_reason: str | None = None  # e.g. 'The file says it is an MRI scan (DICOM modality MR).'

    @classmethod
    def from_prediction(cls, p: Prediction) -> ResultView:
        return cls(dict(zip(p.labels, p.probabilities, strict=True)), p.label, p.uncertain,
                   p.out_of_distribution, p.model_name, p.model_version, p.total_ms,
                   ood_reason=p.ood_reason)

    @classmethod
    def from_reading(cls, r: Reading, origin: str = "") -> ResultView:
        probs = dict(r.probabilities)
        label = r.label if r.label in probs else (max(probs, key=probs.get) if probs else r.label)
        return cls(probs, label, r.uncertain, r.out_of_distribution, r.model_name, r.model_version,
                   r.inference_ms, origin)


def finding_text(label: str, display: str) -> str:
    if label.strip().lower() == "normal":
        return "No pattern of COVID-19 or viral pneumonia found (consistent with a normal chest X-ray)"
    return f"Pattern consistent with {display}"


class PredictionPanel(QWidget):
    reviewRequested = Signal()

    def __init__(self, display_label: Callable[[str], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._display_label = display_label or (lambda s: s.replace("_", " "))
        self.result: ResultView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        title = QLabel("AI second opinion", self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.banner = self._wrapping_label()
        layout.addWidget(self.banner)
        self.finding = self._wrapping_label()
        big = self.finding.font()
        big.setPointSizeF(big.pointSizeF() * 1.2)
        big.setBold(True)
        self.finding.setFont(big)
        layout.addWidget(self.finding)
        self.bars_box = QFrame(self)
        self.bars = QGridLayout(self.bars_box)
        self.bars.setContentsMargins(0, 0, 0, 0)
        self.bars.setColumnStretch(1, 1)
        self.bars.setHorizontalSpacing(8)
        layout.addWidget(self.bars_box)
        self.bar_widgets: dict[str, QProgressBar] = {}
        self.details = self._wrapping_label()
        self.details.setStyleSheet("color:#4a4a4a;")
        layout.addWidget(self.details)
        self.review_button = QPushButton("Add note / confirm finding\u2026", self)
        self.review_button.setToolTip("Write a clinician note and confirm or correct the finding")
        self.review_button.clicked.connect(self.reviewRequested)
        self.review_button.setEnabled(False)
        layout.addWidget(self.review_button)
        layout.addStretch(1)
        self.disclaimer = self._wrapping_label()
        self.disclaimer.setText(DISCLAIMER_SHORT)
        self.disclaimer.setStyleSheet("color:#6d4c41; font-style:italic;")
        layout.addWidget(self.disclaimer)
        self.show_empty()

    def _wrapping_label(self) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _set_banner(self, text: str, style: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(style)
        self.banner.setVisible(bool(text))

    def _clear_bars(self) -> None:
        while self.bars.count():
            item = self.bars.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.bar_widgets = {}
        self.bars_box.setVisible(False)

    # ------------------------------------------------------------------ states
    def show_empty(self, message: str = "Open a chest X-ray to get a second opinion.") -> None:
        self.result = None
        self._set_banner(message, INFO_STYLE)
        self.finding.clear()
        self.finding.setVisible(False)
        self._clear_bars()
        self.details.clear()
        self.review_button.setEnabled(False)

    def show_busy(self, message: str = "Analysing the image\u2026") -> None:
        self.show_empty(message)

    def show_model_missing(self, reason: str) -> None:
        self.show_empty("")
        self._set_banner(
            f"The AI model is not available, so no second opinion can be given.\n{reason}\n"
            "You can still view images and the history.", RED_STYLE)

    def show_result(self, view: ResultView, saved: bool = True) -> None:
        self.result = view
        self._clear_bars()
        self.finding.setVisible(True)
        if view.out_of_distribution:
            reason = f"{view.ood_reason} " if view.ood_reason else ""
            banner = "is not" if view.ood_reason else "does not look like"
            self._set_banner(f"This {banner} a frontal chest {XRAY}.", RED_STYLE)
            self.finding.setText(f"{reason}No result is given. Check that the image is a frontal "
                                 f"chest {XRAY} of good quality, or refer to a radiologist.")
        else:
            name = self._display_label(view.label)
            top = view.probabilities.get(view.label, 0.0)
            if view.uncertain:
                self._set_banner("Uncertain \u2014 refer to a radiologist.", AMBER_STYLE)
                self.finding.setText(f"Closest pattern: {name} ({percent(top)}), but the model is not sure.")
            else:
                self._set_banner("", INFO_STYLE)
                self.finding.setText(f"{finding_text(view.label, name)} ({percent(top)})")
            self._fill_bars(view)
        parts = [f"Model: {view.model_name} {view.model_version}"]
        if view.time_ms is not None:
            parts.append(f"time {view.time_ms / 1000:.2f} s" if view.time_ms >= 1000
                         else f"time {view.time_ms:.0f} ms")
        lines = [" \u00b7 ".join(parts)]
        if view.origin:
            lines.append(view.origin)
        if not saved:
            lines.append("Not saved to the history.")
        self.details.setText("\n".join(lines))
        self.review_button.setEnabled(saved)

    def _fill_bars(self, view: ResultView) -> None:
        for row, (label, p) in enumerate(view.probabilities.items()):
            name = plain_label(self._display_label(label), self.bars_box)
            bar = QProgressBar(self.bars_box)
            bar.setRange(0, 1000)
            bar.setValue(round(p * 1000))
            bar.setFormat(percent(p, 1).replace("%", "") + " %")
            bar.setTextVisible(True)
            bar.setStyleSheet(BAR_STYLE.format(color=TOP_COLOR if label == view.label else OTHER_COLOR))
            bar.setAccessibleName(f"{self._display_label(label)} probability")
            self.bars.addWidget(name, row, 0)
            self.bars.addWidget(bar, row, 1)
            self.bar_widgets[label] = bar
        self.bars_box.setVisible(True)

    def bar_percentages(self) -> dict[str, float]:
        return {label: bar.value() / 10.0 for label, bar in self.bar_widgets.items()}

    def text(self) -> str:
        """Everything visible, for tests and screen readers."""
        return "\n".join(w.text() for w in (self.banner, self.finding, self.details)
                         if w.isVisibleTo(self) and w.text())

