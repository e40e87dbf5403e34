"""ImportDialog (File > Import from CD/USB...): the patients, studies and series of X-ray media
with thumbnails; frontal chest images ticked, the rest (other modalities, body parts, lateral
views, images already in the history) unticked with the reason. Import reads the ticked ones
as a batch. The media is scanned on the history's long-read lane (it asks the history which
images were read before); thumbnails are decoded on the worker pool."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cxr_desktop.i18n import _, ngettext
from cxr_desktop.service.media_import import MediaPlan, SeriesGroup, group_series, scan_media
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.plain import plain_label

if TYPE_CHECKING:
    from cxr_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

THUMB = 64
COL_SERIES, COL_MODALITY, COL_COUNT, COL_STATUS = range(4)


def open_import(window: MainWindow) -> ImportDialog | None:
    folder = QFileDialog.getExistingDirectory(
        window, _("Import from CD/USB: choose the CD, the USB stick or the export folder"),
        window.settings.last_dir)
    if not folder:
        return None
    dialog = ImportDialog(window, folder)
    window.paperwork.import_dialog = dialog
    dialog.open()
    return dialog


def _thumbnail(display: np.ndarray) -> QPixmap:
    gray = np.ascontiguousarray(display)
    image = QImage(gray.data, gray.shape[1], gray.shape[0], gray.strides[0],
                   QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)


class ImportDialog(QDialog):
    def __init__(self, window: MainWindow, folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.folder = folder
        self.plan: MediaPlan | None = None
        self.groups: list[SeriesGroup] = []
        self.series_items: list[tuple[QTreeWidgetItem, SeriesGroup]] = []
        self.setWindowTitle(_("Import from CD/USB"))
        self.resize(860, 560)
        layout = QVBoxLayout(self)
        self.summary = plain_label(_("Looking at the media\u2026"), self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels([_("Patient / study / series"), _("Modality"), _("Images"),
                                   _("What happens")])
        self.tree.setIconSize(QSize(THUMB, THUMB))
        header = self.tree.header()
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Stretch)
        self.tree.setColumnWidth(COL_SERIES, 300)
        self.tree.itemChanged.connect(lambda *_args: self._update_button())
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.import_button = buttons.addButton(_("&Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        buttons.accepted.connect(self.start_import)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        window.settings.last_dir = folder
        self._scan()

    def _scan(self) -> None:
        ops = self.window_.ops
        failed = lambda exc: self._failed(exc)  # noqa: E731
        if ops.available:
            ops.long_read(lambda store: scan_media(self.folder, store), self._scanned, failed)
        else:
            self.window_.runner.submit(lambda: scan_media(self.folder, None), self._scanned, failed)

    def _failed(self, exc: BaseException) -> None:
        log.warning("media scan failed: %s", type(exc).__name__)
        self.summary.setText(_("This media could not be read. Its DICOMDIR may be damaged; try "
                               "Open folder instead."))

    def _scanned(self, plan: MediaPlan) -> None:
        self.plan = plan
        self.groups = group_series(plan.items)
        self.tree.blockSignals(True)
        parents: dict[tuple[str, str], QTreeWidgetItem] = {}
        patients: dict[str, QTreeWidgetItem] = {}
        for group in self.groups:
            patient = patients.get(group.patient)
            if patient is None:
                patient = patients[group.patient] = QTreeWidgetItem(self.tree, [group.patient])
            study = parents.get((group.patient, group.study))
            if study is None:
                study = parents[(group.patient, group.study)] = QTreeWidgetItem(
                    patient, [group.study or _("Study")])
            reason = group.reason
            item = QTreeWidgetItem(study, [group.series or _("Series"), group.modality,
                                           str(len(group.items)),
                                           reason or _("Will be read")])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(COL_SERIES, Qt.CheckState.Unchecked if reason
                               else Qt.CheckState.Checked)
            item.setToolTip(COL_STATUS, "")
            self.series_items.append((item, group))
        self.tree.expandAll()
        self.tree.blockSignals(False)
        source = _("DICOMDIR") if plan.from_dicomdir else _("files found by their content")
        self.summary.setText(ngettext(
            "{count} image on this media ({source}); {ready} will be read.",
            "{count} images on this media ({source}); {ready} will be read.",
            len(plan.items)).format(count=len(plan.items), source=source,
                                    ready=len(plan.to_import)))
        self._update_button()
        self._load_thumbnails()

    def _load_thumbnails(self) -> None:
        service = self.window_.service
        for item, group in self.series_items:
            path = group.items[0].path
            self.window_.runner.submit(
                lambda p=path: service.load(p).display,
                lambda display, it=item: it.setIcon(COL_SERIES, QIcon(_thumbnail(display))),
                lambda exc: log.info("no thumbnail: %s", type(exc).__name__))

    def ticked_paths(self) -> list[str]:
        return [i.path for item, group in self.series_items
                if item.checkState(COL_SERIES) == Qt.CheckState.Checked for i in group.items]

    def _update_button(self) -> None:
        count = len(self.ticked_paths())
        self.import_button.setEnabled(count > 0)
        self.import_button.setText(ngettext("&Import {count} image", "&Import {count} images",
                                            count).format(count=count))

    def start_import(self) -> None:
        batch = self.window_.batch
        paths = self.ticked_paths()
        if batch is None:
            dialogs.show_error(self, _("No AI model"),
                               _("Images can only be read when the AI model is available."))
            return
        if batch.running or not paths:
            return
        batch.start(paths)
        self.accept()
