"""DriftNotice: a calm, persistent line under the toolbar when the clinic's recent readings leave
the band the model card expects (or the site calibration was made for another model). It cannot
be closed: it goes away when the readings are back in the band or the site is recalibrated."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton, QSizePolicy, QToolBar, QWidget

from cxr_desktop.i18n import _
from cxr_desktop.ui.plain import make_plain, rich_text

STYLE = ("QToolBar#drift_notice { background: #eef3f8; border-top: 1px solid #b7c7d8;"
         " border-bottom: 1px solid #b7c7d8; padding: 2px 6px; }")


class ElidedLabel(QLabel):
    """One line, shortened with an ellipsis when the window is narrow (the whole text is in
    the tooltip). Plain text only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        make_plain(self)
        self.full_text = ""
        # Expanding from a small hint: the toolbar gives the label all the room there is.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(120, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(40, super().minimumSizeHint().height())

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(rich_text(text))
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                                   max(40, self.width())))


class DriftNotice(QToolBar):
    openRequested = Signal()

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(_("Quality notice"), window)
        self.setObjectName("drift_notice")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)  # not in the toolbar menu: it cannot be hidden
        self.setStyleSheet(STYLE)
        self.label = ElidedLabel(self)
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
        return self.label.full_text if self.isVisibleTo(self.parentWidget()) else ""

    def show_text(self, text: str | None) -> None:
        self.label.set_full_text(text or "")
        self.label.setAccessibleDescription(text or "")
        self.setVisible(bool(text))
