"""ReadingPane: the right-hand side of the main window. The patient and prediction panels scroll
(long notes must not push the window taller than the screen); the disclaimer stays visible."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from cxr_desktop.ui.patient_panel import PatientPanel
from cxr_desktop.ui.prediction_panel import PredictionPanel


class ReadingPane(QWidget):
    def __init__(self, patient_panel: PatientPanel, prediction_panel: PredictionPanel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(patient_panel)
        side_layout.addWidget(prediction_panel, 1)
        scroll = QScrollArea(self)
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.addWidget(scroll, 1)
        disclaimer = prediction_panel.disclaimer  # always visible, below the scrolling part
        disclaimer.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(disclaimer)
        self.setMinimumWidth(360)
