"""DuplicateCheck: before an opened image is analysed, look in the history for the same file
(sha256) or the same DICOM image (SOP Instance UID). When it is there, ask: show the saved
reading, or read it again on purpose. Never adds an identical reading without asking."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from cxr_desktop.core.types import Reading, XrayImage
from cxr_desktop.i18n import _
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.history_model import local_time

if TYPE_CHECKING:
    from cxr_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class DuplicateCheck(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def __call__(self, image: XrayImage, go_on: Callable[[], None]) -> None:
        ops = self.window.ops
        uid = image.metadata.sop_instance_uid
        if not ops.available or not (image.sha256 or uid):
            go_on()
            return

        def failed(exc: BaseException) -> None:  # cannot tell: read it
            log.info("duplicate check failed: %s", type(exc).__name__)
            go_on()

        ops.query(lambda store: store.find_same_image(file_sha256=image.sha256,
                                                      sop_instance_uid=uid),
                  lambda found: self._found(found, go_on), failed, key="duplicate-check")

    def _found(self, found: list[Reading], go_on: Callable[[], None]) -> None:
        if not found:
            go_on()
            return
        first = found[0]
        if len(found) == 1:
            text = _("This image is already in the history: reading #{id} of {time}.").format(
                id=first.id, time=local_time(first.created_utc))
        else:
            text = _("This image is already in the history {count} times; the latest is reading "
                     "#{id} of {time}.").format(count=len(found), id=first.id,
                                                time=local_time(first.created_utc))
        question = _("{situation}\n\nShow the saved reading? Choose No to read the image again "
                     "on purpose (a new reading is added).").format(situation=text)
        if dialogs.confirm(self.window, _("Already in the history"), question):
            self.window.statusBar().showMessage(
                _("Showing the saved reading #{id} instead of reading the image again.").format(
                    id=first.id), 8000)
            self.window.open_reading(first.id)
        else:
            go_on()
