"""QualityFeature: issue 12 in the main window, wired in one line. It reads the site calibration
in use (readings wait for it), keeps the drift notice up to date after each saved or reviewed
reading, and opens the quality view and the site calibration dialog.

On a clinic server (issue 15) the calibration in use is read again after each saved reading (a
supervisor may sign one off on another PC) and every few seconds while the server cannot be
reached; meanwhile readings use the one last known from it (``SiteCalibration.set_fallback``,
from memory: nothing waits on the network) and the notice says so."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer

from cxr_desktop.service.clinic_quality import ModelInUse, drift_now
from cxr_desktop.service.drift import DriftReport
from cxr_desktop.service.quality_wording import notice_text
from cxr_desktop.service.site_calibration import (
    SiteCalibration,
    SiteState,
    load_state,
    state_from_known,
)
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.drift_notice import DriftNotice

log = logging.getLogger(__name__)

#: While the calibration in use is not the history's answer of now, it is asked again this often.
RETRY_MS = 10_000


class QualityFeature(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window, self.ops = window, window.ops
        classifier = window.classifier
        self.model = ModelInUse.from_card(classifier.card) if classifier is not None else None
        self.state: SiteState | None = None
        self.report: DriftReport | None = None
        usable = self.model is not None and self.ops.available
        self.site = SiteCalibration() if usable else SiteCalibration.off()
        window.service.site = self.site  # every reading of this window (and its batch) uses it
        last_known = getattr(self.ops.store, "last_known_site_profile", None)  # clinic server
        known = last_known() if usable and callable(last_known) else None
        if known is not None and self.model is not None:
            self.site.set_fallback(state_from_known(self.model.sha256, known))
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self.load_state)
        self.notice = DriftNotice(window)
        self.notice.openRequested.connect(self.open_quality)
        commands = window.commands
        commands.quality.triggered.connect(self.open_quality)
        commands.site_calibration.triggered.connect(self.open_calibration)
        commands.quality.setEnabled(usable)
        commands.site_calibration.setEnabled(usable)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.load_state)  # the state (another PC's), then drift
        window.controller.loading.connect(lambda _p: self.load_state(fresh=True))
        window.controller.readingSaved.connect(lambda _r: self._timer.start())
        window.history_view.readingChanged.connect(lambda _r: self._timer.start())
        if window.batch is not None:
            window.batch.finished.connect(lambda _s: self._timer.start())
        if usable:
            self.load_state()

    def load_state(self, fresh: bool = False) -> None:
        """Read the calibration in use again; ``fresh``: the next reading waits for the answer
        (a file is being opened; a supervisor may have signed one off on another PC)."""
        if self.model is None or not self.ops.available:
            return
        if fresh:
            self.site.expect_update()
        sha = self.model.sha256
        self.ops.query(lambda store: load_state(store, sha),
                       lambda state: self.set_state(state, drift=not fresh or state != self.state),
                       self._state_failed, key="site-state")

    def set_state(self, state: SiteState, drift: bool = True) -> None:
        if state != self.state:
            log.info("site calibration: profile %s, refused %s, last known %s",
                     state.in_use.id if state.in_use else None, state.refused,
                     state.last_known_utc is not None)
        self.state = state
        self.site.set_state(state)
        if state.last_known_utc is None:
            self._retry.stop()
        else:
            self._retry.start()
        self.notice.show_text(notice_text(self.report, state))  # offline: no drift test
        if drift:
            self.refresh()

    def _state_failed(self, exc: BaseException) -> None:
        log.warning("site calibration not read: %s", type(exc).__name__)
        self._retry.start()  # e.g. a clinic server not reached yet
        if self.state is None:
            self.site.set_failed(dialogs.error_text(exc))
        else:  # readings keep the state read before
            self.site.set_state(self.state)

    def refresh(self) -> None:
        """Run the drift test again (latest request wins)."""
        if self.model is None or not self.ops.available or self.state is None:
            return
        model, state = self.model, self.state
        self.ops.query(lambda store: drift_now(store, model, state), self._drift,
                       lambda exc: log.warning("drift test failed: %s", type(exc).__name__),
                       key="drift")

    def _drift(self, report: DriftReport) -> None:
        self.report = report
        self.notice.show_text(notice_text(report, self.state))

    def open_quality(self) -> None:
        if self.model is None or not self.ops.available:
            return
        from cxr_desktop.ui.quality_view import QualityView

        self.quality_view = QualityView(self.ops, self.model, self.open_calibration, self.window)
        self.quality_view.show()

    def open_calibration(self) -> None:
        if self.model is None or not self.ops.available:
            return
        from cxr_desktop.ui.calibration_dialog import CalibrationDialog

        self.calibration_dialog = CalibrationDialog(self.ops, self.model, self.set_state,
                                                    self.window)
        self.calibration_dialog.show()
