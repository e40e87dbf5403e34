"""ReviewDialog: the clinician's note and confirmed finding for one reading."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.labels import OTHER_LABEL, display_label
from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _
from cxr_desktop.ui.history_model import local_time

MAX_NOTE = 4000


class ReviewDialog(QDialog):
    def __init__(self, reading: Reading, labels: Sequence[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Review reading"))
        self.resize(520, 380)
        layout = QVBoxLayout(self)
        when = local_time(reading.created_utc)
        if reading.patient_id:
            text = _("Reading #{id} of {time} (patient {patient})").format(
                id=reading.id, time=when, patient=reading.patient_id)
        else:
            text = _("Reading #{id} of {time} (no patient ID)").format(id=reading.id, time=when)
        header = QLabel(text, self)
        header.setTextFormat(Qt.TextFormat.PlainText)  # the patient ID came from a file
        header.setWordWrap(True)
        layout.addWidget(header)
        form = QFormLayout()
        self.label_combo = QComboBox(self)
        self.label_combo.addItem(_("Not confirmed yet"), None)
        choices = [*labels, OTHER_LABEL]
        if reading.confirmed_label and reading.confirmed_label not in choices:
            choices.append(reading.confirmed_label)
        for label in choices:
            self.label_combo.addItem(display_label(label), label)
        current = self.label_combo.findData(reading.confirmed_label)
        self.label_combo.setCurrentIndex(max(0, current))
        form.addRow(_("Confirmed &finding:"), self.label_combo)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setPlaceholderText(_("Clinician note (no limit on what you write here; it "
                                            "stays on this computer)"))
        self.note_edit.setPlainText(reading.note or "")
        form.addRow(_("&Note:"), self.note_edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.note_edit.setFocus()

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()[:MAX_NOTE]

    def confirmed_label(self) -> str | None:
        return self.label_combo.currentData()
