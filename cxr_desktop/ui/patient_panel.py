"""PatientPanel: optional patient ID and name stored with each reading.

The fields are read when a prediction completes, so a worker can type them before opening the
image. DICOM tags fill them on load. Once the reading is saved the fields belong to it
("bound"); changing them then enables "Save patient details", which updates that reading. When
the next image without DICOM tags is opened, fields still showing the previous reading's patient
are kept or cleared by a visible choice ("Keep for the next image", issue 11): cleared by
default, so a patient is never carried over to someone else's X-ray by accident, and the hint
then says they were cleared, so a second film of the same patient is not saved without one.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.patient import person_name, shown_name
from cxr_desktop.core.types import ImageMetadata, Reading
from cxr_desktop.i18n import _


def _norm(value: str | None) -> str:
    return (value or "").strip()


class PatientPanel(QWidget):
    saveRequested = Signal(str, str)  # patient_id, patient_name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        title = QLabel(_("Patient (optional)"), self)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        form = QFormLayout()
        self.id_edit = QLineEdit(self)
        self.id_edit.setPlaceholderText(_("e.g. clinic number"))
        self.id_edit.setMaxLength(64)
        self.id_edit.setClearButtonEnabled(True)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(_("family name, given name"))
        self.name_edit.setMaxLength(128)
        self.name_edit.setClearButtonEnabled(True)
        form.addRow(_("Patient &ID:"), self.id_edit)
        form.addRow(_("&Name:"), self.name_edit)
        layout.addLayout(form)
        self.keep_check = QCheckBox(_("&Keep for the next image (same patient)"), self)
        self.keep_check.setToolTip(_("When ticked, the next image opened is stored with these "
                                     "details too; when not, they are cleared for it."))
        layout.addWidget(self.keep_check)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#4a4a4a;")
        layout.addWidget(self.hint)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("Save patient details"), self)
        self.save_button.setToolTip(_("Store these details with the reading on screen"))
        self.save_button.clicked.connect(self._save)
        self.clear_button = QPushButton(_("New patient"), self)
        self.clear_button.setToolTip(_("Empty the fields for the next patient"))
        self.clear_button.clicked.connect(self.clear)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._bound: tuple[str, str] | None = None
        self._bound_id: int | None = None
        self._source = ""
        self._cleared: tuple[str, str] | None = None  # what the last image change emptied
        self.id_edit.textChanged.connect(self._changed)
        self.name_edit.textChanged.connect(self._changed)
        self.id_edit.returnPressed.connect(self._save_if_dirty)
        self.name_edit.returnPressed.connect(self._save_if_dirty)
        self._changed()

    # ---------------------------------------------------------------- values
    def values(self) -> tuple[str, str]:
        return (_norm(self.id_edit.text()), _norm(self.name_edit.text()))

    def set_values(self, patient_id: str | None, patient_name: str | None) -> None:
        self.id_edit.setText(_norm(patient_id))
        self.name_edit.setText(_norm(patient_name))

    @property
    def bound_reading_id(self) -> int | None:
        return self._bound_id

    @property
    def dirty(self) -> bool:
        return self._bound is not None and self.values() != self._bound

    # --------------------------------------------------------------- binding
    def image_loaded(self, metadata: ImageMetadata) -> None:
        """A new image is on screen (not yet saved)."""
        self._cleared = None
        if metadata.patient_id or metadata.patient_name:
            self._bound, self._bound_id = None, None
            self.set_values(metadata.patient_id, person_name(metadata.patient_name))
            self._source = "dicom"
        else:
            previous = self._bound is not None and self.values() == self._bound
            if previous and self.keep_check.isChecked():
                self._source = "kept"
            else:
                if previous and any(self.values()):
                    self._cleared = self.values()
                    self.set_values("", "")  # belonged to the previous reading
                self._source = ""
        self._bound, self._bound_id = None, None
        self._changed()

    def bind(self, reading: Reading) -> None:
        """The reading on screen is stored with these details."""
        self._bound = (_norm(reading.patient_id), shown_name(reading.patient_name))
        self._bound_id = reading.id
        self._source = ""
        self.set_values(*self._bound)
        self._changed()

    def unbind(self) -> None:
        self._bound, self._bound_id = None, None
        self._changed()

    def clear(self) -> None:
        self._source = ""
        self._cleared = None
        self.set_values("", "")
        if self._bound is not None and self._bound != ("", ""):
            self.unbind()  # 'new patient' detaches the fields from the reading on screen
        self.id_edit.setFocus()

    # ----------------------------------------------------------------- state
    def _changed(self, *_args: object) -> None:
        self.save_button.setEnabled(self.dirty)
        if self.dirty:
            self.hint.setText(_("Changed: press \u201cSave patient details\u201d to store them "
                                "with this reading."))
        elif self._bound is not None and self._cleared is not None and not any(self.values()):
            self.hint.setText(_("Saved without patient details: the previous patient's were "
                                "cleared. If this is the same patient, type them and press "
                                "\u201cSave patient details\u201d."))
        elif self._bound is not None:
            self.hint.setText(_("Saved with the reading on screen."))
        elif self._source == "kept":
            self.hint.setText(_("Kept from the previous image. Stored with this reading when the "
                                "analysis finishes."))
        elif self._source:
            self.hint.setText(_("Filled in from the DICOM file. Stored with the reading when the "
                                "analysis finishes."))
        elif self._cleared is not None and not any(self.values()):
            self.hint.setText(_("The previous patient's details were cleared for this image. "
                                "Type them again, or tick \u201cKeep for the next image\u201d "
                                "before opening a second film of the same patient."))
        else:
            self.hint.setText(_("Stored with the next reading."))

    def _save_if_dirty(self) -> None:
        if self.dirty:
            self._save()

    def _save(self) -> None:
        if self.dirty:
            self.saveRequested.emit(*self.values())
