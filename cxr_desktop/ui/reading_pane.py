"""ReadingPane: the right-hand side of the main window. The patient and prediction panels scroll
(long notes must not push the window taller than the screen); the disclaimer stays visible.
On a short screen the patient fields fold away behind one line ("Patient details: PID-42"), so
the AI result is at the top without scrolling; the line unfolds them (issue 13)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QToolButton, QVBoxLayout, QWidget

from cxr_desktop.i18n import _
from cxr_desktop.ui.patient_panel import PatientPanel
from cxr_desktop.ui.prediction_panel import PredictionPanel


class ReadingPane(QWidget):
    def __init__(self, patient_panel: PatientPanel, prediction_panel: PredictionPanel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.patient_panel = patient_panel
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.patient_toggle = QToolButton(side)
        self.patient_toggle.setCheckable(True)
        self.patient_toggle.setChecked(True)
        self.patient_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.patient_toggle.setAutoRaise(True)
        self.patient_toggle.setToolTip(_("Show or hide the patient fields"))
        self.patient_toggle.toggled.connect(self._show_patient)
        self.patient_toggle.setVisible(False)  # only when the screen is short
        side_layout.addWidget(self.patient_toggle)
        side_layout.addWidget(patient_panel)
        side_layout.addWidget(prediction_panel, 1)
        scroll = QScrollArea(self)
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.addWidget(scroll, 1)
        disclaimer = prediction_panel.disclaimer  # always visible, below the scrolling part
        disclaimer.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(disclaimer)
        self.setMinimumWidth(360)
        patient_panel.id_edit.textChanged.connect(self._label_toggle)
        self._label_toggle()

    def last_key_widget(self) -> QWidget | None:
        """The lowest line of the result that must be seen without scrolling."""
        panel = self.findChild(PredictionPanel)
        return None if panel is None else panel.review_button

    # -------------------------------------------------------------- folding
    @property
    def patient_folded(self) -> bool:
        return self.patient_toggle.isVisible() and not self.patient_toggle.isChecked()

    def set_foldable(self, foldable: bool) -> None:
        """Short screen: the patient fields fold (folded at first); otherwise always shown."""
        self.patient_toggle.setVisible(foldable)
        self.patient_toggle.setChecked(not foldable)
        self._show_patient(not foldable)

    def _show_patient(self, shown: bool) -> None:
        self.patient_panel.setVisible(shown)
        self.patient_toggle.setArrowType(Qt.ArrowType.DownArrow if shown
                                         else Qt.ArrowType.RightArrow)
        self._label_toggle()

    def _label_toggle(self, *_args: object) -> None:
        patient = self.patient_panel.id_edit.text().strip()
        if patient:
            self.patient_toggle.setText(_("Patient details: {patient}").format(patient=patient))
        else:
            self.patient_toggle.setText(_("Patient details"))
