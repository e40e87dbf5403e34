"""History > Audit trail (issue 15, supervisors): who did what, when, to which reading; search
by person, action and reading, and export as CSV. Everything through HistoryOps."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.storage.audit import AUDIT_ACTIONS, AuditEvent, AuditQuery
from cxr_desktop.i18n import _, ngettext
from cxr_desktop.service.audit_export import export_audit_csv
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_model import local_time
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import plain_label


class AuditDialog(QDialog):
    def __init__(self, ops: HistoryOps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit_dialog")
        self.setWindowTitle(_("Audit trail"))
        self.ops = ops
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.person = QLineEdit(self)
        self.person.setPlaceholderText(_("Person"))
        self.action = QComboBox(self)
        self.action.addItem(_("Every action"), None)
        for action in sorted(AUDIT_ACTIONS):
            self.action.addItem(action, action)
        self.reading = QLineEdit(self)
        self.reading.setPlaceholderText(_("Reading #"))
        search = QPushButton(_("&Search"), self)
        export = QPushButton(_("&Export CSV\u2026"), self)
        for widget in (self.person, self.action, self.reading, search, export):
            filters.addWidget(widget)
        layout.addLayout(filters)
        self.table = QTableWidget(0, 6, self)
        self.table.setHorizontalHeaderLabels([_("When"), _("Who"), _("What"), _("Reading"),
                                              _("Detail"), _("PC")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        self.status = plain_label("", self)
        layout.addWidget(self.status)
        search.clicked.connect(self.refresh)
        self.person.returnPressed.connect(self.refresh)
        export.clicked.connect(self.export)
        self.resize(900, 520)
        self.refresh()

    def query(self, limit: int = 500) -> AuditQuery:
        text = self.reading.text().strip().lstrip("#")
        return AuditQuery(actor=self.person.text().strip() or None,
                          action=self.action.currentData(),
                          reading_id=int(text) if text.lstrip("-").isdigit() else None,
                          limit=limit)

    def refresh(self) -> None:
        query = self.query()
        self.ops.query(lambda store: store.search_audit(query), self._show,
                       lambda exc: self.status.setText(dialogs.error_text(exc)), key="audit")

    def _show(self, events: list[AuditEvent]) -> None:
        self.table.setRowCount(len(events))
        for row, event in enumerate(events):
            cells = [local_time(event.at_utc), event.actor, event.action,
                     "" if event.reading_id is None else f"#{event.reading_id}", event.detail,
                     event.workstation]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(str(text)))  # plain text
        self.status.setText(ngettext("{count} event shown (newest first).",
                                     "{count} events shown (newest first).",
                                     len(events)).format(count=len(events)))

    def export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, _("Export the audit trail as CSV"),
                                                    str(Path.home() / "cxr-audit.csv"),
                                                    _("CSV files (*.csv)"))
        if not path:
            return
        query = self.query(limit=1000)
        self.ops.long_read(lambda store: export_audit_csv(store, path, query),
                           lambda n: self.status.setText(ngettext(
                               "Exported {count} event.", "Exported {count} events.", n).format(
                                   count=n)),
                           lambda exc: dialogs.show_error(self, _("Export failed"),
                                                          dialogs.error_text(exc)))
