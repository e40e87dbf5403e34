"""ReviewDialog: the clinician's note and confirmed finding for one reading, beside the image
(heatmap on/off) and the AI finding in the panel's own words. With a navigator (the worklist,
the history table) it steps through readings by keyboard: PgDown / Alt+Right next, PgUp /
Alt+Left previous, Ctrl+Return save and next, Ctrl+1..9 pick the confirmed finding."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.labels import OTHER_LABEL, display_label
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _, format_percent
from cxr_desktop.service.dicom_words import fact_lines
from cxr_desktop.service.reading import decode_gray_png
from cxr_desktop.service.wording import ResultSummary, describe
from cxr_desktop.ui.history_model import local_time
from cxr_desktop.ui.plain import plain_label
from cxr_desktop.ui.prediction_panel import BANNER_STYLES, unbroken
from cxr_desktop.ui.viewer import ImageViewer

MAX_NOTE = 4000


def _decoded(png: bytes | None):
    """A stored grey PNG as an array; None when there is none or it is damaged."""
    try:
        return decode_gray_png(png)
    except (OSError, ValueError):
        return None


class ReviewDialog(QDialog):
    #: (step): the person asked for the previous (-1) or next (+1) reading.
    moveRequested = Signal(int)
    #: (): save what is in the fields and go on to the next reading.
    saveAndNextRequested = Signal()

    def __init__(self, reading: Reading, labels: Sequence[str], parent: QWidget | None = None,
                 navigable: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Review reading"))
        self.resize(980, 620)
        self._labels = list(labels)
        self.reading = reading
        layout = QHBoxLayout(self)
        self.viewer = ImageViewer(self)
        self.viewer.placeholder = _("No stored image")
        self.viewer.setMinimumSize(380, 420)
        layout.addWidget(self.viewer, 3)
        side = QVBoxLayout()
        layout.addLayout(side, 2)
        self.header = self._label(side)
        self.banner = self._label(side)
        self.finding = self._label(side)
        font = self.finding.font()
        font.setBold(True)
        self.finding.setFont(font)
        self.details = self._label(side)
        self.details.setStyleSheet("color:#4a4a4a;")
        self.heatmap_check = QCheckBox(_("Show the &heatmap"), self)
        self.heatmap_check.setChecked(True)
        self.heatmap_check.toggled.connect(self.viewer.set_heatmap_visible)
        side.addWidget(self.heatmap_check)
        form = QFormLayout()
        self.label_combo = QComboBox(self)
        form.addRow(_("Confirmed &finding:"), self.label_combo)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setPlaceholderText(_("Clinician note (no limit on what you write here; it "
                                            "stays on this computer)"))
        form.addRow(_("&Note:"), self.note_edit)
        side.addLayout(form, 1)
        self.position = plain_label("", self)
        side.addWidget(self.position)
        buttons = QDialogButtonBox(self)
        self.previous_button = QPushButton(_("\u2190 &Previous"), self)
        self.next_button = QPushButton(_("N&ext \u2192"), self)
        self.save_next_button = QPushButton(_("Save and ne&xt"), self)
        for button in (self.previous_button, self.next_button, self.save_next_button):
            button.setVisible(navigable)
            button.setAutoDefault(False)
        self.previous_button.setToolTip(_("Previous reading (PgUp); changes are saved first"))
        self.next_button.setToolTip(_("Next reading (PgDown); changes are saved first"))
        self.save_next_button.setToolTip(_("Save and show the next reading (Ctrl+Return)"))
        buttons.addButton(self.previous_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.next_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_next_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Save)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        side.addWidget(buttons)
        self.previous_button.clicked.connect(lambda: self.moveRequested.emit(-1))
        self.next_button.clicked.connect(lambda: self.moveRequested.emit(1))
        self.save_next_button.clicked.connect(self.saveAndNextRequested)
        if navigable:
            for keys, step in ((("PgDown", "Alt+Right"), 1), (("PgUp", "Alt+Left"), -1)):
                for key in keys:
                    QShortcut(QKeySequence(key), self, lambda s=step: self.moveRequested.emit(s))
            for key in ("Ctrl+Return", "Ctrl+Enter"):
                QShortcut(QKeySequence(key), self, self.saveAndNextRequested.emit)
        for number in range(1, 10):
            QShortcut(QKeySequence(f"Ctrl+{number}"), self,
                      lambda n=number: self._pick(n))
        self.show_reading(reading)

    def _label(self, layout: QVBoxLayout) -> QLabel:
        label = plain_label("", self)  # patient IDs, notes and reasons came from files/people
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(label)
        return label

    def show_reading(self, reading: Reading, position: str = "") -> None:
        """Show another reading in the same dialog (the worklist's next or previous one)."""
        self.reading = reading
        when = local_time(reading.created_utc)
        if reading.patient_id:
            text = _("Reading #{id} of {time} (patient {patient})").format(
                id=reading.id, time=when, patient=reading.patient_id)
        else:
            text = _("Reading #{id} of {time} (no patient ID)").format(id=reading.id, time=when)
        self.header.setText(text)
        summary = ResultSummary.from_reading(reading)
        words = describe(summary)
        self.banner.setText(unbroken(words.banner_text))
        self.banner.setStyleSheet(BANNER_STYLES[words.banner])
        self.banner.setVisible(bool(words.banner_text))
        self.finding.setText(unbroken(words.finding))
        lines = [] if summary.out_of_distribution else [
            _("{finding}: {percent}").format(finding=display_label(label),
                                             percent=format_percent(p, 1))
            for label, p in summary.probabilities.items()]
        lines += list(words.cautions) + fact_lines(reading.dicom) + [words.model_line]
        self.details.setText("\n".join(lines))
        preview = _decoded(reading.preview_png)
        heat = _decoded(reading.heatmap_png) if summary.shows_heatmap else None
        if preview is not None:
            self.viewer.set_image(preview, heat)
            self.viewer.set_heatmap_visible(self.heatmap_check.isChecked())
        else:
            self.viewer.clear()
        self.heatmap_check.setEnabled(heat is not None)
        self._fill_labels(reading)
        self.note_edit.setPlainText(reading.note or "")
        self.position.setText(position)
        self.position.setVisible(bool(position))
        self.mark_saved()
        self.note_edit.setFocus()

    def _fill_labels(self, reading: Reading) -> None:
        self.label_combo.clear()
        self.label_combo.addItem(_("Not confirmed yet"), None)
        choices = [*self._labels, OTHER_LABEL]
        if reading.confirmed_label and reading.confirmed_label not in choices:
            choices.append(reading.confirmed_label)
        for number, label in enumerate(choices, start=1):
            name = display_label(label)
            self.label_combo.addItem(_("{name} (Ctrl+{number})").format(name=name, number=number)
                                     if number < 10 else name, label)
        self.label_combo.setCurrentIndex(max(0, self.label_combo.findData(reading.confirmed_label)))

    def _pick(self, number: int) -> None:
        if number < self.label_combo.count():
            self.label_combo.setCurrentIndex(number)

    def set_navigation(self, has_previous: bool, has_next: bool) -> None:
        self.previous_button.setEnabled(has_previous)
        self.next_button.setEnabled(has_next)

    def mark_saved(self) -> None:
        """What the fields hold now is being stored."""
        self._shown = (self.note(), self.confirmed_label())

    @property
    def dirty(self) -> bool:
        """The fields differ from what the reading on show has stored."""
        return (self.note(), self.confirmed_label()) != self._shown

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()[:MAX_NOTE]

    def confirmed_label(self) -> str | None:
        return self.label_combo.currentData()
