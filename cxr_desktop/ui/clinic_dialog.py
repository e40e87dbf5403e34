"""ClinicDialog: the clinic's name and address printed at the top of every report."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.i18n import _
from cxr_desktop.service.clinic import MAX_NAME, ClinicInfo, load_clinic, save_clinic
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.plain import plain_label


class ClinicDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Clinic details"))
        layout = QVBoxLayout(self)
        intro = plain_label(_("Printed at the top of every report and summary."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        current = load_clinic()
        self.name_edit = QLineEdit(current.name, self)
        self.name_edit.setMaxLength(MAX_NAME)
        self.address_edit = QPlainTextEdit(self)
        self.address_edit.setPlainText(current.address)
        self.address_edit.setFixedHeight(90)
        form.addRow(_("Clinic &name:"), self.name_edit)
        form.addRow(_("&Address:"), self.address_edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def info(self) -> ClinicInfo:
        return ClinicInfo(self.name_edit.text().strip(), self.address_edit.toPlainText().strip())

    def _save(self) -> None:
        try:
            save_clinic(self.info())
        except OSError as exc:
            dialogs.show_error(self, _("Clinic details not saved"), _(
                "The settings file could not be written ({reason}).").format(
                reason=exc.strerror or type(exc).__name__))
            return
        self.accept()
