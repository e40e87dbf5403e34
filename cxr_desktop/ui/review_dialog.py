"""ReviewDialog: the clinician's note and confirmed finding for one reading."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.types import Reading
from cxr_desktop.ui.history_model import local_time
from cxr_desktop.ui.plain import plain_label

OTHER_LABEL = "Other"
MAX_NOTE = 4000


class ReviewDialog(QDialog):
    def __init__(self, reading: Reading, labels: Sequence[str],
                 display_label: Callable[[str], str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        show = display_label or (lambda s: s.replace("_", " "))
        self.setWindowTitle("Review reading")
        self.resize(520, 380)
        layout = QVBoxLayout(self)
        who = reading.patient_id or "no patient ID"
        header = plain_label(f"Reading #{reading.id} of {local_time(reading.created_utc)} ({who})", self)
        header.setWordWrap(True)
        layout.addWidget(header)
        form = QFormLayout()
        self.label_combo = QComboBox(self)
        self.label_combo.addItem("Not confirmed yet", None)
        choices = [*labels, OTHER_LABEL]
        if reading.confirmed_label and reading.confirmed_label not in choices:
            choices.append(reading.confirmed_label)
        for label in choices:
            self.label_combo.addItem(show(label) if label != OTHER_LABEL else "Other finding", label)
        current = self.label_combo.findData(reading.confirmed_label)
        self.label_combo.setCurrentIndex(max(0, current))
        form.addRow("Confirmed &finding:", self.label_combo)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setPlaceholderText("Clinician note (no limit on what you write here; it "
                                          "stays on this computer)")
        self.note_edit.setPlainText(reading.note or "")
        form.addRow("&Note:", self.note_edit)
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
