"""FileOpener: where files come from (the open dialogs, drops on the window, the command line)
and where they go: one file opens in the window, a folder or several files run a batch."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from cxr_desktop.core.formats import open_dialog_filter, supported_formats_sentence
from cxr_desktop.i18n import _
from cxr_desktop.service.folders import expand_paths, list_images
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.batch import BatchRunner
from cxr_desktop.ui.file_drop import FileDropFilter
from cxr_desktop.ui.settings import AppSettings


class FileOpener(QObject):
    def __init__(self, window: QWidget, settings: AppSettings, batch: BatchRunner | None,
                 open_file: Callable[[str], None], model_error: str | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.batch = batch
        self.open_file = open_file
        self.model_error = model_error
        self.file_drop = FileDropFilter(window)
        self.file_drop.pathsDropped.connect(self.open_paths)

    def open_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self.window, _("Open a chest X-ray"),
                                                    self.settings.last_dir, open_dialog_filter())
        if path:
            self.open_file(path)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, _("Analyse every image in a folder"),
                                                  self.settings.last_dir)
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str) -> None:
        if self.batch is None:
            dialogs.show_error(self.window, _("No AI model"),
                               _("Folders can only be analysed when the AI model is available.\n"
                                 "{reason}").format(reason=self.model_error or ""))
            return
        if self.batch.running:
            return
        self.settings.last_dir = folder
        paths = list_images(folder)
        if not paths:
            dialogs.show_info(self.window, _("Nothing to analyse"),
                              _("This folder contains no image files. {formats}").format(
                                  formats=supported_formats_sentence()))
            return
        self.batch.start(paths)

    def open_paths(self, paths: list[str]) -> None:
        """Files from the command line or a drop: one file opens, a folder or several run a batch."""
        paths = [p for p in paths if p]
        if len(paths) == 1 and not os.path.isdir(paths[0]):
            self.open_file(paths[0])
        elif len(paths) == 1:
            self.open_folder(paths[0])
        elif paths and self.batch is not None and not self.batch.running:
            self.batch.start(expand_paths(paths))
