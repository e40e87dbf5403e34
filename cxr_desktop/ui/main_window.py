"""MainWindow: the viewer in the middle, patient + AI result on the right, history at the bottom.
Wiring only; the work lives in ReadingController, BatchRunner, HistoryView and the panels, the
use cases in ``service`` and every history access in ``HistoryOps``."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

from cxr_desktop import APP_NAME
from cxr_desktop.composition import make_service
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.labels import display_label
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.core.types import Prediction, Reading, XrayImage
from cxr_desktop.i18n import _, ngettext
from cxr_desktop.service.dicom_words import fact_lines
from cxr_desktop.service.reading import PatientFields, StoredReading
from cxr_desktop.service.wording import ResultSummary
from cxr_desktop.ui import dialogs
from cxr_desktop.ui.actions import WindowActions
from cxr_desktop.ui.batch import BatchRunner, BatchSummary
from cxr_desktop.ui.clinic_features import ClinicFeatures
from cxr_desktop.ui.controller import ReadingController
from cxr_desktop.ui.desk import ClinicDesk
from cxr_desktop.ui.file_opener import FileOpener
from cxr_desktop.ui.history_actions import HistoryActions
from cxr_desktop.ui.history_model import local_time
from cxr_desktop.ui.history_ops import HistoryOps
from cxr_desktop.ui.history_safety import HistorySafety
from cxr_desktop.ui.history_view import HistoryView
from cxr_desktop.ui.paperwork import Paperwork
from cxr_desktop.ui.patient_edits import PatientEdits
from cxr_desktop.ui.patient_panel import PatientPanel
from cxr_desktop.ui.plain import window_title
from cxr_desktop.ui.prediction_panel import PredictionPanel
from cxr_desktop.ui.quality_feature import QualityFeature
from cxr_desktop.ui.reading_pane import ReadingPane
from cxr_desktop.ui.recent_menu import RecentFilesMenu
from cxr_desktop.ui.settings import AppSettings
from cxr_desktop.ui.tasks import TaskRunner
from cxr_desktop.ui.viewer import ImageViewer
from cxr_desktop.ui.window_state import WindowState

log = logging.getLogger(__name__)

DEFAULT_LABELS = ("COVID-19", "Normal", "Viral_Pneumonia")


class MainWindow(QMainWindow):
    def __init__(self, classifier: Classifier | None, history: HistoryStore | None,
                 settings: AppSettings | None = None, *, model_error: str | None = None,
                 history_error: str | None = None, runner: TaskRunner | None = None,
                 owns_history: bool = False, decoder=None) -> None:
        super().__init__()
        self.classifier = classifier
        self.history = history
        self.model_error = model_error
        self.history_error = history_error
        self._owns_history = owns_history
        self.settings = settings or AppSettings()
        self.runner = runner or TaskRunner(max_threads=2, parent=self)
        self.ops = HistoryOps(history, self)
        self.decoder = decoder  # a DecodeGuard (closed with the window), or None: decode here
        self.service = make_service(classifier, history, decoder)
        self.current_reading: Reading | None = None
        self.closed = False
        self.labels = list(classifier.card.labels) if classifier is not None else list(DEFAULT_LABELS)
        self.setWindowTitle(APP_NAME)
        self.setObjectName("main_window")
        self.resize(1280, 860)
        self._build_widgets()
        self.controller = ReadingController(self.runner, self.ops, self.service,
                                            self._patient_fields, self)
        self.batch = BatchRunner(self.runner, self.ops, self.service, self) if classifier else None
        self.history_actions = HistoryActions(self.ops, self.settings, self, history_error)
        self.patient_edits = PatientEdits(self.patient_panel, self.history_actions,
                                          lambda: self.current_reading, self)
        self.opener = FileOpener(self, self.settings, self.batch, self.open_file, model_error)
        self.safety = HistorySafety(self.ops, self.runner, self, self.attach_history)
        self._wire()
        self.clinic = ClinicFeatures(self)  # issue 15: offline state, clinic database, sign-in
        self.quality = QualityFeature(self)  # issue 12: site calibration, drift notice, views
        self.paperwork = Paperwork(self)  # issue 11: reports, media import, worklist
        self.window_state = WindowState(self, self.settings, self.viewer, self.commands.heatmap,
                                        self.opacity_slider)
        self.desk = ClinicDesk(self)  # issue 13: small screens, viewer tools, language, a11y
        self._show_initial_state()

    # ------------------------------------------------------------------ build
    def _build_widgets(self) -> None:
        self.viewer = ImageViewer(self)
        self.setCentralWidget(self.viewer)
        self.prediction_panel = PredictionPanel(self)
        self.patient_panel = PatientPanel(self)
        pane = ReadingPane(self.patient_panel, self.prediction_panel, self)
        self.reading_dock = self._dock(_("Reading"), "reading_dock", pane,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.history_view = HistoryView(self.ops, self.labels, self)
        self.history_dock = self._dock(_("History"), "history_dock", self.history_view,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.commands = WindowActions(self)
        self.commands.build_menus([self.reading_dock, self.history_dock])
        self.opacity_slider = self.commands.build_toolbar()
        self.zoom_label = QLabel(self)
        self.wl_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.wl_label)
        self.statusBar().addPermanentWidget(self.zoom_label)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _wire(self) -> None:
        a, v = self.commands, self.viewer
        a.open.triggered.connect(self.opener.open_dialog)
        a.open_folder.triggered.connect(self.opener.open_folder_dialog)
        a.export.triggered.connect(lambda: self.history_actions.export_csv(None))
        a.quit.triggered.connect(self.close)
        a.fit.triggered.connect(v.fit)
        a.actual.triggered.connect(v.actual_size)
        a.zoom_in.triggered.connect(v.zoom_in)
        a.zoom_out.triggered.connect(v.zoom_out)
        a.invert.toggled.connect(v.set_inverted)
        a.reset_wl.triggered.connect(v.reset_window_level)
        a.full_screen.toggled.connect(self._full_screen)
        a.find.triggered.connect(self._focus_search)
        a.review.triggered.connect(self.review_current)
        a.about.triggered.connect(self.show_about)
        a.intended_use.triggered.connect(self.show_about)
        self.recent = RecentFilesMenu(a.recent_menu, self.settings)
        self.recent.openRequested.connect(self.open_file)
        v.zoomChanged.connect(lambda s: self.zoom_label.setText(
            _("Zoom {percent}%").format(percent=round(s * 100))))
        v.windowLevelChanged.connect(lambda c, w: self.wl_label.setText(
            _("Brightness/contrast: level {level}, window {window}").format(level=round(c), window=round(w))))
        c = self.controller
        c.loading.connect(lambda path: self.statusBar().showMessage(
            _("Opening {file}\u2026").format(file=Path(path).name)))
        c.imageLoaded.connect(self._image_loaded)
        c.fullImageLoaded.connect(lambda image: self.viewer.upgrade_image(image.display))
        c.predicting.connect(self.prediction_panel.show_busy)
        c.resultReady.connect(self._result_ready)
        c.readingSaved.connect(self._reading_saved)
        c.saveFailed.connect(self._save_failed)
        c.failed.connect(self._failed)
        c.busyChanged.connect(self._busy_changed)
        self.prediction_panel.reviewRequested.connect(self.review_current)
        hv = self.history_view
        hv.openRequested.connect(self.open_reading)
        hv.readingChanged.connect(self._reading_changed)
        hv.readingDeleted.connect(self._reading_deleted)
        hv.exportRequested.connect(self.history_actions.export_csv)
        self.history_actions.patientSaved.connect(self._patient_saved)
        self.history_actions.status.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.safety.status.connect(lambda text: self.statusBar().showMessage(text, 15000))
        if self.batch is not None:
            self.batch.finished.connect(self._batch_finished)

    def _show_initial_state(self) -> None:
        if self.classifier is None:
            self.prediction_panel.show_model_missing(self.model_error or "")
            self.commands.open_folder.setEnabled(False)
            self.statusBar().showMessage(_("The AI model is not available: viewing only."))
        else:
            self.statusBar().showMessage(_("Ready. Open a chest X-ray with Ctrl+O or drop it here."))

    def _patient_fields(self) -> PatientFields:
        patient_id, patient_name = self.patient_panel.values()
        return PatientFields(patient_id, patient_name)

    # --------------------------------------------------------------- opening
    def open_file(self, path: str) -> None:
        """Load (worker) -> show -> analyse (worker) -> show -> save (history lane). What is on
        screen stays until the new image is loaded, so a file that cannot be opened changes
        nothing."""
        self.patient_edits.settle()
        self.settings.last_dir = str(Path(path).parent)
        self.settings.add_recent_file(path)
        self.controller.open_file(path)

    def open_folder(self, folder: str) -> None:
        self.opener.open_folder(folder)

    def open_paths(self, paths: list[str]) -> None:
        """Files from the command line or a drop: one file opens, a folder or several run a batch."""
        self.opener.open_paths(paths)

    def open_reading(self, reading_id: int) -> None:
        """Show a stored reading: its preview, heatmap and result (no new prediction)."""
        if not self.ops.available:
            return
        self.ops.query(lambda store: self.service.reopen(reading_id),
                       lambda stored: self._show_stored(reading_id, stored),
                       lambda exc: dialogs.show_error(self, _("Cannot open the reading"),
                                                      dialogs.error_text(exc)),
                       key="open-reading")

    def _show_stored(self, reading_id: int, stored: StoredReading | None) -> None:
        if stored is None:
            dialogs.show_error(self, _("Cannot open the reading"),
                               _("This reading is no longer in the history."))
            self.history_view.refresh()
            return
        self.controller.forget_current()
        reading = stored.reading
        summary = ResultSummary.from_reading(reading)
        if stored.preview is not None:
            self.viewer.set_image(stored.preview, stored.heatmap if summary.shows_heatmap else None)
        else:
            self.viewer.clear()
        self._show_reading(reading)
        self.statusBar().showMessage(
            _("Showing saved reading #{id} (stored preview).").format(id=reading_id), 8000)

    def _origin(self, reading: Reading) -> str:
        lines = [_("Saved reading #{id}, {time}").format(id=reading.id,
                                                        time=local_time(reading.created_utc))]
        if reading.reviewed_utc:
            confirmed = display_label(reading.confirmed_label) or "\u2014"
            lines.append(_("Reviewed {time}; confirmed: {finding}").format(
                time=local_time(reading.reviewed_utc), finding=confirmed))
        if reading.note:
            lines.append(_("Note: {note}").format(note=reading.note))
        if reading.site_profile_id is not None:  # issue 12
            lines.append(_("Adjusted by site calibration #{id}.").format(id=reading.site_profile_id))
        return "\n".join(lines + fact_lines(reading.dicom))

    def _show_reading(self, reading: Reading) -> None:
        self.current_reading = reading
        self.prediction_panel.show_result(ResultSummary.from_reading(reading), self._origin(reading))
        self.patient_panel.bind(reading)
        self.commands.review.setEnabled(True)
        name = reading.patient_id or (Path(reading.source_path).name if reading.source_path else "")
        self._set_title(name)

    def _set_title(self, name: str) -> None:
        self.setWindowTitle(window_title(_("{name} \u2014 {app}").format(name=name, app=APP_NAME))
                            if name else APP_NAME)

    # ------------------------------------------------------------ controller
    def _image_loaded(self, image: XrayImage) -> None:
        self.current_reading = None
        self.commands.review.setEnabled(False)
        self.viewer.set_image(image.display)
        self.patient_panel.image_loaded(image.metadata)
        self._set_title(Path(image.source_path or "").name)
        meta = image.metadata
        self.statusBar().showMessage(_("{format} {width} x {height}, {bits} bit").format(
            format=meta.format, width=meta.width, height=meta.height, bits=meta.bit_depth))
        if self.classifier is None:
            self.prediction_panel.show_model_missing(self.model_error or "")

    def _result_ready(self, prediction: Prediction) -> None:
        summary = ResultSummary.from_prediction(prediction)
        self.viewer.set_heatmap(prediction.heatmap if summary.shows_heatmap else None)
        if self.ops.available:
            origin = _("Saving to the history\u2026")
            self.statusBar().showMessage(origin)
        else:
            origin = _("Not saved to the history.")
            self.statusBar().showMessage(_("Analysed, but the history is not available: not saved."))
        self.prediction_panel.show_result(summary, origin, saved=False)

    def _reading_saved(self, reading: Reading) -> None:
        self.current_reading = reading
        self.patient_panel.bind(reading)
        self.commands.review.setEnabled(True)
        self.history_view.refresh(select_id=reading.id)
        text = _("Saved to the history as reading #{id}.").format(id=reading.id)
        if reading.site_profile_id is not None:  # issue 12
            text = self._origin(reading)
        if self.prediction_panel.result is not None:
            self.prediction_panel.show_result(self.prediction_panel.result, text, saved=True)
        self.statusBar().showMessage(text, 8000)

    def _save_failed(self, title: str, message: str) -> None:
        if self.prediction_panel.result is not None:
            self.prediction_panel.show_result(self.prediction_panel.result,
                                              _("Not saved to the history."), saved=False)
        self.statusBar().showMessage(title, 8000)
        dialogs.show_error(self, title, message)

    def _failed(self, title: str, message: str) -> None:
        self.statusBar().showMessage(title, 8000)
        if self.current_reading is None and not self.controller.busy:
            self.prediction_panel.show_empty(_("No result: {problem}.").format(problem=title))
        dialogs.show_error(self, title, message)

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QGuiApplication.restoreOverrideCursor()

    def _batch_finished(self, summary: BatchSummary) -> None:
        self.history_view.refresh()
        done = len(summary.done)
        self.statusBar().showMessage(ngettext("Folder analysed: {count} reading saved.",
                                              "Folder analysed: {count} readings saved.",
                                              done).format(count=done), 10000)
        dialogs.show_info(self, _("Folder analysed"), summary.text())

    # ---------------------------------------------------------------- review
    def review_current(self) -> None:
        """Ctrl+R: the selected worklist or history row, else the reading on screen."""
        self.paperwork.review_selected()

    def _reading_changed(self, reading: Reading) -> None:
        if self.current_reading is not None and self.current_reading.id == reading.id:
            self._show_reading(reading)

    def _reading_deleted(self, reading_id: int) -> None:
        if self.current_reading is not None and self.current_reading.id == reading_id:
            self.current_reading = None
            self.patient_panel.unbind()
            self.commands.review.setEnabled(False)
            self.prediction_panel.show_empty(_("This reading was deleted from the history."))

    def _patient_saved(self, updated: Reading) -> None:
        if self.current_reading is not None and self.current_reading.id == updated.id:
            self.current_reading = updated
            self.patient_panel.bind(updated)
        self.history_view.refresh(select_id=updated.id)

    def attach_history(self, store: HistoryStore) -> None:
        """A history opened after the start (restored in the place of a lost file)."""
        self.history = self.ops.store = self.service.store = store
        self._owns_history = True
        self.history_error = self.history_actions.history_error = None
        self.history_view.setEnabled(True)

    # ------------------------------------------------------------- view bits
    def _full_screen(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def _focus_search(self) -> None:
        self.history_dock.show()
        self.history_dock.raise_()
        self.history_view.focus_search()

    def show_about(self) -> None:
        dialogs.AboutDialog(self.classifier.card if self.classifier else None, self.model_error,
                            self).exec()

    # ----------------------------------------------------------------- close
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.closed:
            self.closed = True
            if self.batch is not None:
                self.batch.cancel()
            if self.decoder is not None:
                self.decoder.close()  # a decode in progress is killed: closing never waits for it
            if self.runner.busy or self.ops.busy:
                self.statusBar().showMessage(_("Finishing the analysis in progress\u2026"))
                QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            self.runner.shutdown()  # waits for running analyses: they queue their saves
            self.ops.shutdown()  # runs every queued save to its end
            while QGuiApplication.overrideCursor() is not None:
                QGuiApplication.restoreOverrideCursor()
            self.window_state.save()
            if self._owns_history and self.history is not None:
                self.history.close()
            log.info("main window closed")
        super().closeEvent(event)
