"""FileOpener: where files come from (the open dialogs, drops on the window, the command line)
and where they go: one file opens in the window, a folder or several files run a batch."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from cxr_desktop.ui import dialogs, pipeline
from cxr_desktop.ui.batch import BatchRunner
from cxr_desktop.ui.file_drop import FileDropFilter
from cxr_desktop.ui.settings import AppSettings

FILE_FILTER = ("X-ray images (*.dcm *.dicom *.png *.jpg *.jpeg *.bmp *.tif *.tiff);;"
               "DICOM files (*.dcm *.dicom);;All files (*)")


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
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a chest X-ray",
                                              self.settings.last_dir, FILE_FILTER)
        if path:
            self.open_file(path)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Analyse every image in a folder",
                                                  self.settings.last_dir)
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str) -> None:
        if self.batch is None:
            dialogs.show_error(self.window, "No AI model", "Folders can only be analysed when the "
                               "AI model is available.\n" + (self.model_error or ""))
            return
        if self.batch.running:
            return
        self.settings.last_dir = folder
        paths = pipeline.list_images(folder)
        if not paths:
            dialogs.show_info(self.window, "Nothing to analyse",
                              "This folder contains no image files.")
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
            files = [f for p in paths for f in (pipeline.list_images(p) if os.path.isdir(p) else [p])]
            self.batch.start(files)
