"""RestoreDialog: History > Restore from backup… (issue 14).

Lists the backups (date, kind, readings, size) of the backup folder, which can be changed here (a
USB drive); makes one now; restores the one chosen after asking. Every look at the disk runs off
the GUI thread: through ``HistoryOps`` when the history is open, on the task runner when it is
not (its file was lost: then the restore puts the backup in its place and ``restored`` carries the
newly opened history).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.core.storage import BackupInfo, list_backups, reason_text, restore_history
from cxr_desktop.i18n import _, format_datetime, format_number, ngettext
from cxr_desktop.service import backups as backup_service
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.plain import plain_label
from cxr_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


def size_text(size: int) -> str:
    if size >= 1 << 30:
        return _("{size} GB").format(size=format_number(size / (1 << 30), 1))
    return _("{size} MB").format(size=format_number(max(size, 1) / (1 << 20), 1))


class RestoreDialog(QDialog):
    restored = Signal(object)  # the history opened by the restore, or None (the open one)

    def __init__(self, ops: HistoryOps, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.runner = runner
        self.backups: list[BackupInfo] = []
        self.busy = False
        self.setObjectName("restore_dialog")
        self.setWindowTitle(_("Restore from backup"))
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Backups of the reading history are kept in this folder:"), self))
        row = QHBoxLayout()
        self.folder_label = plain_label("", self)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)
        row.addWidget(self.folder_label, 1)
        self.change_button = QPushButton(_("Change folder\u2026"), self)
        self.change_button.setToolTip(_("Keep the backups on another disk, such as a USB drive"))
        row.addWidget(self.change_button)
        layout.addLayout(row)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels([_("Made"), _("Kind"), _("Readings"), _("Size")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == 1
                                        else QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.status = plain_label("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        self.backup_button = QPushButton(_("Back up now"), self)
        self.empty_button = QPushButton(_("Start an empty history"), self)
        self.empty_button.setVisible(not ops.available)
        self.restore_button = QPushButton(_("Restore\u2026"), self)
        self.close_button = QPushButton(_("Close"), self)
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.empty_button)
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.change_button.clicked.connect(self.change_folder)
        self.backup_button.clicked.connect(self.back_up_now)
        self.empty_button.clicked.connect(self.start_empty)
        self.restore_button.clicked.connect(self.restore_selected)
        self.close_button.clicked.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    # -------------------------------------------------------------- listing
    @property
    def folder(self) -> Path:
        return backup_service.backup_folder(self.ops.store.info().location
                                            if self.ops.store is not None else None)

    def refresh(self) -> None:
        folder = self.folder
        self.folder_label.setText(str(folder))
        self._set_busy(True, _("Looking for backups\u2026"))
        if self.ops.available:
            self.ops.long_read(lambda store: store.backups(folder), self._listed, self._failed)
        else:
            from cxr_desktop.core.storage import default_backup_folder

            places = [folder, default_backup_folder()]
            self.runner.submit(lambda: sorted(
                {b.path: b for place in places for b in list_backups(place)}.values(),
                key=lambda b: (b.taken_utc, b.path.name), reverse=True), self._listed, self._failed)

    def _listed(self, backups: list[BackupInfo]) -> None:
        self.backups = list(backups)
        self.table.setRowCount(len(self.backups))
        for row, info in enumerate(self.backups):
            cells = (format_datetime(info.taken_utc, "short"), reason_text(info.reason),
                     format_number(info.readings), size_text(info.size_bytes))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        if self.backups:
            self.table.selectRow(0)
        self._set_busy(False, ngettext("{count} backup.", "{count} backups.",
                                       len(self.backups)).format(count=len(self.backups))
                       if self.backups else _("There are no backups yet."))

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False, dialogs.error_text(exc))
        dialogs.show_error(self, _("Backups"), dialogs.error_text(exc))

    def _set_busy(self, busy: bool, text: str) -> None:
        self.busy = busy
        self.status.setText(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self.busy
        self.restore_button.setEnabled(idle and self.selected() is not None)
        self.backup_button.setEnabled(idle and self.ops.available)
        self.change_button.setEnabled(idle)
        self.empty_button.setEnabled(idle)

    def selected(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows and rows[0].row() < len(self.backups) else None

    # -------------------------------------------------------------- actions
    def change_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, _("Choose the backup folder"),
                                                  str(self.folder))
        if not chosen:
            return
        try:
            backup_service.choose_folder(chosen)
        except OSError as exc:
            dialogs.show_error(self, _("Backups"), dialogs.error_text(exc))
            return
        self.refresh()

    def back_up_now(self) -> None:
        self._set_busy(True, _("Making a backup\u2026 Saving goes on meanwhile."))
        self.ops.long_read(lambda store: backup_service.backup_now(store, self.folder),
                           self._backed_up, self._failed)

    def _backed_up(self, info: BackupInfo) -> None:
        self.refresh()
        self.status.setText(ngettext("Backup made and checked: {count} reading.",
                                     "Backup made and checked: {count} readings.",
                                     info.readings).format(count=format_number(info.readings)))

    def restore_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        question = ngettext(
            "Replace the reading history with the backup of {date} ({count} reading)? The history "
            "as it is now is kept as a backup first.",
            "Replace the reading history with the backup of {date} ({count} readings)? The "
            "history as it is now is kept as a backup first.",
            info.readings).format(date=format_datetime(info.taken_utc, "short"),
                                  count=format_number(info.readings))
        if not dialogs.confirm(self, _("Restore from backup"), question):
            return
        self._set_busy(True, _("Restoring\u2026"))
        if self.ops.available:
            self.ops.write(lambda store: (store.restore(info), store.count())[1],
                           lambda count: self._restored(None, self._restored_text(count)),
                           self._failed)
        else:
            folder = self.folder
            self.runner.submit(lambda: restore_history(None, info, folder)[0],
                               lambda store: self._restored(store,
                                                            self._restored_text(store.count())),
                               self._failed)

    @staticmethod
    def _restored_text(count: int) -> str:
        return ngettext("The history was restored: it now holds {count} reading.",
                        "The history was restored: it now holds {count} readings.",
                        count).format(count=format_number(count))

    def _restored(self, store: object, text: str) -> None:
        self._set_busy(False, "")
        self.restored.emit(store)
        dialogs.show_info(self, _("Restore from backup"), text)
        self.accept()

    def start_empty(self) -> None:
        if not dialogs.confirm(self, _("Start an empty history"), _(
                "Start a new, empty reading history? The backups stay where they are and can "
                "still be restored later.")):
            return
        from cxr_desktop.composition import open_store

        self._set_busy(True, "")
        self.runner.submit(lambda: open_store(new_if_missing=True),
                           lambda store: self._restored(store, _("A new, empty history was started.")),
                           self._failed)
