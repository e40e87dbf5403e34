"""PatientEdits: the patient fields of the reading on screen, changed after it was saved.

"Save patient details" updates that reading in the history (same id). When the fields were
edited but not saved and another image is opened, the user is asked whom they belong to: the
reading on screen (saved now) or the image being opened (used for its reading)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from cxr_desktop.core.types import Reading
from cxr_desktop.i18n import _
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_actions import HistoryActions
from cxr_desktop.ui.patient_panel import PatientPanel


class PatientEdits(QObject):
    def __init__(self, panel: PatientPanel, actions: HistoryActions,
                 current: Callable[[], Reading | None], window: QWidget) -> None:
        super().__init__(window)
        self.panel = panel
        self.actions = actions
        self.current = current
        self.window = window
        panel.saveRequested.connect(self.save)

    def save(self, patient_id: str, patient_name: str) -> None:
        """Store the fields with the reading on screen (in the background)."""
        reading = self.current()
        if reading is not None and reading.id is not None:
            self.actions.save_patient(reading.id, patient_id, patient_name)

    def settle(self) -> None:
        """Another image is about to open: unsaved edits are saved or handed to it, as asked."""
        panel, reading = self.panel, self.current()
        if not panel.dirty or reading is None or reading.id is None:
            return
        if dialogs.confirm(self.window, _("Patient details changed"),
                           _("The patient details were changed but not saved.\n\nYes: save them "
                             "with reading #{id} (the X-ray on screen).\nNo: use them for the "
                             "image you are opening now.").format(id=reading.id)):
            self.save(*panel.values())
            panel.clear()
        else:
            panel.unbind()
