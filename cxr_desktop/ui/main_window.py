"""MainWindow: the viewer in the middle, patient + AI result on the right, history at the bottom.
Wiring only; the work lives in ReadingController, BatchRunner, HistoryView and the panels."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

from cxr_desktop import APP_NAME
from cxr_desktop.core.errors import StorageError
from cxr_desktop.core.inference import Classifier
from cxr_desktop.core.storage import History
from cxr_desktop.core.types import Reading, XrayImage
from cxr_desktop.ui import dialogs, pipeline
from cxr_desktop.ui.actions import WindowActions
from cxr_desktop.ui.batch import BatchRunner, BatchSummary
from cxr_desktop.ui.controller import ReadingController
from cxr_desktop.ui.file_opener import FileOpener
from cxr_desktop.ui.history_actions import HistoryActions
from cxr_desktop.ui.history_model import local_time
from cxr_desktop.ui.history_view import HistoryView
from cxr_desktop.ui.patient_edits import PatientEdits
from cxr_desktop.ui.patient_panel import PatientPanel
from cxr_desktop.ui.plain import window_title
from cxr_desktop.ui.prediction_panel import PredictionPanel, ResultView
from cxr_desktop.ui.reading_pane import ReadingPane
from cxr_desktop.ui.recent_menu import RecentFilesMenu
from cxr_desktop.ui.settings import AppSettings
from cxr_desktop.ui.tasks import TaskRunner
from cxr_desktop.ui.viewer import ImageViewer
from cxr_desktop.ui.window_state import WindowState

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, classifier: Classifier | None, history: History | None,
                 settings: AppSettings | None = None, *, model_error: str | None = None,
                 history_error: str | None = None, runner: TaskRunner | None = None,
                 owns_history: bool = False) -> None:
        super().__init__()
        self.classifier = classifier
        self.history = history
        self.model_error = model_error
        self.history_error = history_error
        self._owns_history = owns_history
        self.settings = settings or AppSettings()
        self.runner = runner or TaskRunner(max_threads=2, parent=self)
        self.current_reading: Reading | None = None
        self.closed = False
        card = classifier.card if classifier is not None else None
        self.labels = list(card.labels) if card else ["COVID-19", "Normal", "Viral_Pneumonia"]
        self.display_label = card.display_label if card else (lambda s: s.replace("_", " "))
        self.setWindowTitle(APP_NAME)
        self.setObjectName("main_window")
        self.resize(1280, 860)
        self._build_widgets()
        self.controller = ReadingController(self.runner, classifier, history,
                                            self.patient_panel.values, self)
        self.batch = BatchRunner(self.runner, classifier, history, self) if classifier else None
        self.history_actions = HistoryActions(history, self.runner, self.settings, self, history_error)
        self.patient_edits = PatientEdits(self.patient_panel, self.history_actions,
                                          lambda: self.current_reading, self)
        self.opener = FileOpener(self, self.settings, self.batch, self.open_file, model_error)
        self._wire()
        self.window_state = WindowState(self, self.settings, self.viewer, self.commands.heatmap,
                                        self.opacity_slider)
        self._show_initial_state()

    # ------------------------------------------------------------------ build
    def _build_widgets(self) -> None:
        self.viewer = ImageViewer(self)
        self.setCentralWidget(self.viewer)
        self.prediction_panel = PredictionPanel(self.display_label, self)
        self.patient_panel = PatientPanel(self)
        pane = ReadingPane(self.patient_panel, self.prediction_panel, self)
        self.reading_dock = self._dock("Reading", "reading_dock", pane,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.history_view = HistoryView(self.history, self.labels, self.display_label,
                                        self.runner, self)
        self.history_dock = self._dock("History", "history_dock", self.history_view,
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
        v.zoomChanged.connect(lambda s: self.zoom_label.setText(f"Zoom {s * 100:.0f}%"))
        v.windowLevelChanged.connect(
            lambda c, w: self.wl_label.setText(f"Level {c:.0f} / Window {w:.0f}"))
        c = self.controller
        c.loading.connect(lambda path: self.statusBar().showMessage(f"Opening {Path(path).name}\u2026"))
        c.imageLoaded.connect(self._image_loaded)
        c.predicting.connect(self._predicting)
        c.resultReady.connect(self._result_ready)
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
        if self.batch is not None:
            self.batch.finished.connect(self._batch_finished)

    def _show_initial_state(self) -> None:
        if self.classifier is None:
            self.prediction_panel.show_model_missing(self.model_error or "")
            self.commands.open_folder.setEnabled(False)
            self.statusBar().showMessage("The AI model is not available: viewing only.")
        else:
            self.statusBar().showMessage("Ready. Open a chest X-ray with Ctrl+O or drop it here.")

    # --------------------------------------------------------------- opening
    def open_file(self, path: str) -> None:
        """Load (worker) -> show -> predict and save (worker) -> show. What is on screen stays
        until the new image is loaded, so a file that cannot be opened changes nothing."""
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
        if self.history is None:
            return
        try:
            reading = self.history.get(reading_id)
        except StorageError as exc:
            dialogs.show_error(self, "Cannot open the reading", exc.message)
            return
        if reading is None:
            dialogs.show_error(self, "Cannot open the reading", "This reading is no longer in the history.")
            self.history_view.refresh()
            return
        self.controller.forget_current()
        preview = pipeline.decode_gray_png(reading.preview_png)
        heat = pipeline.decode_gray_png(reading.heatmap_png)
        if preview is not None:
            self.viewer.set_image(preview, heat)
        else:
            self.viewer.clear()
        self._show_reading(reading)
        self.statusBar().showMessage(f"Showing saved reading #{reading.id} (stored preview).", 8000)

    def _show_reading(self, reading: Reading) -> None:
        self.current_reading = reading
        origin = f"Saved reading #{reading.id}, {local_time(reading.created_utc)}"
        if reading.reviewed_utc:
            confirmed = self.display_label(reading.confirmed_label) if reading.confirmed_label else "\u2014"
            origin += f"\nReviewed {local_time(reading.reviewed_utc)}; confirmed: {confirmed}"
        if reading.note:
            origin += f"\nNote: {reading.note}"
        self.prediction_panel.show_result(ResultView.from_reading(reading, origin))
        self.patient_panel.bind(reading)
        self.commands.review.setEnabled(True)
        name = reading.patient_id or (Path(reading.source_path).name if reading.source_path else "")
        self.setWindowTitle(window_title(f"{name} \u2014 {APP_NAME}") if name else APP_NAME)

    # ------------------------------------------------------------ controller
    def _image_loaded(self, image: XrayImage) -> None:
        self.current_reading = None
        self.commands.review.setEnabled(False)
        self.viewer.set_image(image.display)
        self.patient_panel.image_loaded(image.metadata)
        self.setWindowTitle(window_title(f"{Path(image.source_path or '').name} \u2014 {APP_NAME}"))
        self.statusBar().showMessage(
            f"{image.metadata.format} {image.width} x {image.height}, {image.metadata.bit_depth} bit")
        if self.classifier is None:
            self.prediction_panel.show_model_missing(self.model_error or "")

    def _predicting(self) -> None:
        self.prediction_panel.show_busy()

    def _result_ready(self, outcome: pipeline.Outcome) -> None:
        prediction = outcome.prediction
        self.viewer.set_heatmap(None if prediction.out_of_distribution else prediction.heatmap)
        if outcome.reading is not None:
            self.current_reading = outcome.reading
            self.patient_panel.bind(outcome.reading)
            self.commands.review.setEnabled(True)
            self.history_view.refresh(select_id=outcome.reading.id)
            origin = f"Saved to the history as reading #{outcome.reading.id}."
            self.statusBar().showMessage(origin, 8000)
        else:
            origin = ""
            self.statusBar().showMessage("Analysed, but the history is not available: not saved.")
        self.prediction_panel.show_result(
            replace(ResultView.from_prediction(prediction), origin=origin),
            saved=outcome.reading is not None)

    def _failed(self, title: str, message: str) -> None:
        self.statusBar().showMessage(title, 8000)
        if self.current_reading is None and not self.controller.busy:
            self.prediction_panel.show_empty(f"No result: {title.lower()}.")
        dialogs.show_error(self, title, message)

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QGuiApplication.restoreOverrideCursor()

    def _batch_finished(self, summary: BatchSummary) -> None:
        self.history_view.refresh()
        self.statusBar().showMessage(f"Folder analysed: {len(summary.done)} readings saved.", 10000)
        dialogs.show_info(self, "Folder analysed", summary.text(self.display_label))

    # ---------------------------------------------------------------- review
    def review_current(self) -> None:
        if self.current_reading is not None and self.current_reading.id is not None:
            self.history_view.review(self.current_reading.id)

    def _reading_changed(self, reading: Reading) -> None:
        if self.current_reading is not None and self.current_reading.id == reading.id:
            self._show_reading(reading)

    def _reading_deleted(self, reading_id: int) -> None:
        if self.current_reading is not None and self.current_reading.id == reading_id:
            self.current_reading = None
            self.patient_panel.unbind()
            self.commands.review.setEnabled(False)
            self.prediction_panel.show_empty("This reading was deleted from the history.")

    def _patient_saved(self, updated: Reading) -> None:
        if self.current_reading is not None and self.current_reading.id == updated.id:
            self.current_reading = updated
            self.patient_panel.bind(updated)
        self.history_view.refresh(select_id=updated.id)

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
            if self.runner.busy:
                self.statusBar().showMessage("Finishing the analysis in progress\u2026")
                QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            self.runner.shutdown()  # waits for running jobs: their readings are saved
            while QGuiApplication.overrideCursor() is not None:
                QGuiApplication.restoreOverrideCursor()
            self.window_state.save()
            if self._owns_history and self.history is not None:
                self.history.close()
            log.info("main window closed")
        super().closeEvent(event)
