"""DriftNotice: a calm, persistent line under the toolbar when the clinic's recent readings leave
the band the model card expects (or the site calibration was made for another model). It cannot
be closed: it goes away when the readings are back in the band or the site is recalibrated."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton, QSizePolicy, QToolBar

from cxr_desktop.i18n import _
from cxr_desktop.ui.plain import make_plain

STYLE = ("QToolBar#drift_notice { background: #eef3f8; border-top: 1px solid #b7c7d8;"
         " border-bottom: 1px solid #b7c7d8; padding: 2px 6px; }")


class DriftNotice(QToolBar):
    openRequested = Signal()

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(_("Quality notice"), window)
        self.setObjectName("drift_notice")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)  # not in the toolbar menu: it cannot be hidden
        self.setStyleSheet(STYLE)
        self.label = make_plain(QLabel("", self))
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.label.setAccessibleName(_("Quality notice"))
        self.button = QPushButton(_("Open the quality view"), self)
        self.button.clicked.connect(self.openRequested)
        self.addWidget(self.label)
        self.addWidget(self.button)
        window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self)
        self.setVisible(False)

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_text(self, text: str | None) -> None:
        self.label.setText(text or "")
        self.setVisible(bool(text))
