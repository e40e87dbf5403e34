"""PredictionPanel: what the model says about the image on screen, in careful words."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.labels import display_label
from cxr_desktop.i18n import _, format_percent
from cxr_desktop.service.wording import DISCLAIMER, Banner, ResultSummary, describe

AMBER_STYLE = ("background:#ffb300; color:#1a1a1a; border-radius:6px; padding:8px;"
               " font-weight:bold;")
RED_STYLE = "background:#c62828; color:#ffffff; border-radius:6px; padding:8px; font-weight:bold;"
INFO_STYLE = "background:#e3f2fd; color:#0d2b45; border-radius:6px; padding:8px;"
CAUTION_STYLE = "background:#fff3e0; color:#4e2600; border-radius:6px; padding:8px;"
BAR_STYLE = ("QProgressBar {{ border:1px solid #9e9e9e; border-radius:4px; background:#f5f5f5;"
             " color:#111111; text-align:center; font-weight:bold; min-height:22px; }}"
             " QProgressBar::chunk {{ background:{color}; border-radius:3px; }}")
TOP_COLOR = "#64b5f6"
OTHER_COLOR = "#cfd8dc"
BANNER_STYLES = {Banner.NONE: INFO_STYLE, Banner.UNCERTAIN: AMBER_STYLE, Banner.NOT_XRAY: RED_STYLE}
#: Colour is never the only signal: each banner also has words and an icon (issue 13).
BANNER_ICONS = {INFO_STYLE: QStyle.StandardPixmap.SP_MessageBoxInformation,
                AMBER_STYLE: QStyle.StandardPixmap.SP_MessageBoxWarning,
                RED_STYLE: QStyle.StandardPixmap.SP_MessageBoxCritical}
ICON_SIZE = 22
#: Room for the icon (Qt mirrors left and right of a style sheet for right-to-left layouts).
ICON_ROOM = "padding-left:38px; padding-right:8px;"

#: What the panel shows: a ResultSummary (the same for a fresh and a reopened result).
ResultView = ResultSummary


def unbroken(text: str) -> str:
    """Never wrap 'X-ray' as 'X-' / 'ray' (a non-breaking hyphen)."""
    return text.replace("X-ray", "X\u2011ray")


class PredictionPanel(QWidget):
    reviewRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ResultSummary | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        title = QLabel(_("AI second opinion"), self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.banner = self._wrapping_label()
        self.banner_icon = QLabel(self.banner)  # drawn inside the banner's padding
        self.banner_icon.setFixedSize(ICON_SIZE, ICON_SIZE)
        self.banner_icon.setStyleSheet("padding:0px; background:transparent;")  # not the banner's
        self.banner.installEventFilter(self)
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
        self.cautions = self._wrapping_label()
        self.cautions.setStyleSheet(CAUTION_STYLE)
        layout.addWidget(self.cautions)
        self.details = self._wrapping_label()
        self.details.setStyleSheet("color:#4a4a4a;")
        layout.addWidget(self.details)
        self.review_button = QPushButton(_("Add note / confirm finding\u2026"), self)
        self.review_button.setToolTip(_("Write a clinician note and confirm or correct the finding"))
        self.review_button.clicked.connect(self.reviewRequested)
        self.review_button.setEnabled(False)
        layout.addWidget(self.review_button)
        layout.addStretch(1)
        self.disclaimer = self._wrapping_label()
        self.disclaimer.setText(_(DISCLAIMER))
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
        self.banner.setStyleSheet(style + " " + ICON_ROOM)
        icon = self.style().standardIcon(BANNER_ICONS.get(
            style, QStyle.StandardPixmap.SP_MessageBoxInformation))
        self.banner_icon.setPixmap(icon.pixmap(ICON_SIZE, ICON_SIZE))
        self.banner_kind = {AMBER_STYLE: "uncertain", RED_STYLE: "warning"}.get(style, "information")
        self.banner.setVisible(bool(text))
        self._place_icon()

    def _place_icon(self) -> None:
        rtl = self.banner.layoutDirection() == Qt.LayoutDirection.RightToLeft
        x = self.banner.width() - ICON_SIZE - 10 if rtl else 10
        self.banner_icon.move(x, min(10, max(0, (self.banner.height() - ICON_SIZE) // 2)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.banner and event.type() in (QEvent.Type.Resize,
                                                       QEvent.Type.LayoutDirectionChange):
            self._place_icon()
        return False

    def _clear_bars(self) -> None:
        while self.bars.count():
            item = self.bars.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.bar_widgets = {}
        self.bars_box.setVisible(False)

    # ------------------------------------------------------------------ states
    def show_empty(self, message: str | None = None) -> None:
        self.result = None
        if message is None:
            message = _("Open a chest X-ray to get a second opinion.")
        self._set_banner(message, INFO_STYLE)
        self.finding.clear()
        self.finding.setVisible(False)
        self.cautions.clear()
        self.cautions.setVisible(False)
        self._clear_bars()
        self.details.clear()
        self.review_button.setEnabled(False)

    def show_busy(self, message: str | None = None) -> None:
        self.show_empty(message or _("Analysing the image\u2026"))

    def show_model_missing(self, reason: str) -> None:
        self.show_empty("")
        self._set_banner(
            _("The AI model is not available, so no second opinion can be given.\n{reason}\n"
              "You can still view images and the history.").format(reason=reason), RED_STYLE)

    def show_result(self, view: ResultSummary, origin: str = "", saved: bool = True) -> None:
        """Show a result. ``origin`` says where it comes from ('Saved reading #12, ...');
        ``saved`` False: it is not (yet) in the history."""
        self.result = view
        self._clear_bars()
        words = describe(view)
        self.finding.setVisible(True)
        self._set_banner(unbroken(words.banner_text), BANNER_STYLES[words.banner])
        self.finding.setText(unbroken(words.finding))
        if not view.out_of_distribution:
            self._fill_bars(view)
        self.cautions.setText("\n".join(words.cautions))
        self.cautions.setVisible(bool(words.cautions))
        lines = [words.model_line]
        if origin:
            lines.append(origin)
        self.details.setText("\n".join(lines))
        self.review_button.setEnabled(saved)

    def _fill_bars(self, view: ResultSummary) -> None:
        for row, (label, p) in enumerate(view.probabilities.items()):
            name = QLabel(display_label(label), self.bars_box)
            bar = QProgressBar(self.bars_box)
            bar.setRange(0, 1000)
            bar.setValue(round(p * 1000))
            bar.setFormat(format_percent(p, 1))
            bar.setTextVisible(True)
            bar.setStyleSheet(BAR_STYLE.format(color=TOP_COLOR if label == view.label else OTHER_COLOR))
            bar.setAccessibleName(_("{finding} probability").format(finding=display_label(label)))
            self.bars.addWidget(name, row, 0)
            self.bars.addWidget(bar, row, 1)
            self.bar_widgets[label] = bar
        self.bars_box.setVisible(True)

    def bar_percentages(self) -> dict[str, float]:
        return {label: bar.value() / 10.0 for label, bar in self.bar_widgets.items()}

    def text(self) -> str:
        """Everything visible, for tests and screen readers."""
        return "\n".join(w.text() for w in (self.banner, self.finding, self.cautions, self.details)
                         if w.isVisibleTo(self) and w.text())

