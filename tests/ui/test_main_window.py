"""The main window end to end, with the tiny model, offscreen."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from cxr_desktop.core.types import OOD_LABEL
from cxr_desktop.ui.history_model import COL_NAME, COL_PID
from cxr_desktop.ui.review_dialog import ReviewDialog
from tests.ui.conftest import history_count, settle, wait_for_reading


def open_via_menu(qtbot, window, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))
    window.commands.open.trigger()
    wait_for_reading(qtbot, window)


def test_open_via_menu_shows_prediction_and_saves_it(qtbot, make_window, images, monkeypatch,
                                                     app_home):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    panel = window.prediction_panel
    result = panel.result
    assert result is not None and not result.out_of_distribution and not result.uncertain
    assert math.isclose(sum(result.probabilities.values()), 1.0, abs_tol=1e-6)
    bars = panel.bar_percentages()
    assert set(bars) == {"COVID-19", "Normal", "Viral_Pneumonia"}
    assert abs(sum(bars.values()) - 100.0) < 0.3
    assert "Pattern consistent with COVID-19" in panel.text()
    assert "tiny-test-model 0.0.1" in panel.text()
    assert window.viewer.has_image and window.viewer.has_heatmap
    assert window.viewer.image_size == (260, 300)
    assert window.history_view.model.total == 1
    assert history_count(app_home) == 1
    assert window.settings.recent_files() == [str(images["light"])]


def test_history_row_survives_a_restart(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    saved_id = window.current_reading.id
    window.close()
    again = make_window()
    model = again.history_view.model
    assert model.total == 1
    assert model.reading_at(0).id == saved_id
    assert model.reading_at(0).label == "COVID-19"


def _drop_onto(window, path) -> None:
    """Drag ``path`` onto the window (the enter must be accepted) and drop it. The events only
    point at the QMimeData, so both are sent here, while it is alive."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)


def test_drop_a_file_opens_it(qtbot, make_window, images):
    window = make_window()
    _drop_onto(window, images["light"])
    wait_for_reading(qtbot, window)
    assert window.current_reading.source_path == str(images["light"])


def test_drop_without_files_is_refused(qtbot, make_window):
    window = make_window()
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_out_of_distribution_shows_warning_and_no_class(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["white"])
    panel = window.prediction_panel
    assert panel.result.out_of_distribution
    text = panel.text()
    assert "does not look like a frontal chest X\u2011ray" in text
    for label in ("COVID-19", "Normal", "Viral Pneumonia", "Pattern consistent"):
        assert label not in text
    assert panel.bar_widgets == {} and not panel.bars_box.isVisible()
    assert not window.viewer.has_heatmap
    assert window.current_reading.label == OOD_LABEL


def test_uncertain_prediction_says_refer(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["grey"])
    assert window.prediction_panel.result.uncertain
    assert "Uncertain \u2014 refer to a radiologist" in window.prediction_panel.text()
    assert window.prediction_panel.banner.styleSheet().startswith("background:#ffb300")


def test_bad_file_shows_error_dialog_and_logs(qtbot, make_window, images, dialogs_log, app_home):
    window = make_window()
    window.open_file(str(images["bad"]))
    qtbot.waitUntil(lambda: bool(dialogs_log.calls), timeout=10_000)
    kind, title, text = dialogs_log.calls[0]
    assert kind == "warning" and title == "Cannot open this file"
    assert "not an image" in text
    assert window.current_reading is None
    log_text = (app_home / "logs" / "cxr-desktop.log").read_text(encoding="utf-8") \
        if (app_home / "logs" / "cxr-desktop.log").exists() else ""
    assert "broken" not in log_text  # file names are never logged


def test_reopen_a_reading_from_history(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    first = window.current_reading
    open_via_menu(qtbot, window, monkeypatch, images["white"])
    assert window.prediction_panel.result.out_of_distribution
    view = window.history_view
    row = view.model.row_of(first.id)
    index = view.model.index(row, 2)
    view.table.doubleClicked.emit(index)
    qtbot.waitUntil(lambda: window.current_reading.id == first.id, timeout=10_000)
    panel = window.prediction_panel
    assert not panel.result.out_of_distribution
    assert panel.result.label == "COVID-19"
    assert f"Saved reading #{first.id}" in panel.text()
    assert window.viewer.has_heatmap
    assert window.viewer.image_size == (260, 300)  # preview: the original is small


def test_note_and_confirmed_label_persist(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    reading_id = window.current_reading.id

    def fake_exec(dialog):
        dialog.note_edit.setPlainText("Follow up in 2 weeks")
        dialog.label_combo.setCurrentIndex(dialog.label_combo.findData("Normal"))
        return ReviewDialog.DialogCode.Accepted

    monkeypatch.setattr(ReviewDialog, "exec", fake_exec)
    window.commands.review.trigger()
    qtbot.waitUntil(lambda: window.current_reading.note == "Follow up in 2 weeks", timeout=10_000)
    window.close()
    again = make_window()
    stored = again.history.get(reading_id)
    assert stored.note == "Follow up in 2 weeks"
    assert stored.confirmed_label == "Normal"
    assert stored.reviewed_utc is not None
    model = again.history_view.model
    assert model.data(model.index(0, 7)) == "Follow up in 2 weeks"


def test_search_and_filters(qtbot, make_window, images, monkeypatch):
    window = make_window()
    panel = window.patient_panel
    for path, pid in ((images["light"], "A-100"), (images["grey"], "B-200"), (images["white"], "")):
        panel.clear()
        panel.id_edit.setText(pid)
        open_via_menu(qtbot, window, monkeypatch, path)
    view = window.history_view
    assert view.model.total == 3

    def total() -> int:
        settle(qtbot, view)
        return view.model.total

    view.search_edit.setText("a-1")
    view.apply_filters()
    assert total() == 1 and view.model.reading_at(0).patient_id == "A-100"
    view.search_edit.clear()
    view.label_combo.setCurrentIndex(view.label_combo.findData(OOD_LABEL))
    assert total() == 1 and view.model.reading_at(0).out_of_distribution
    view.label_combo.setCurrentIndex(0)
    view.reviewed_combo.setCurrentIndex(view.reviewed_combo.findData(True))
    assert total() == 0
    view.reviewed_combo.setCurrentIndex(0)
    view.from_check.setChecked(True)  # default range: the last month, includes today
    assert total() == 3
    view.from_date.setDate(view.from_date.date().currentDate().addDays(1))
    assert total() == 0


def test_delete_asks_and_removes(qtbot, make_window, images, monkeypatch, dialogs_log):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    view = window.history_view
    view.table.selectRow(0)
    dialogs_log.answer_yes = False
    view.delete_button.click()
    assert view.model.total == 1
    dialogs_log.answer_yes = True
    view.delete_button.click()
    qtbot.waitUntil(lambda: view.model.total == 0, timeout=10_000)
    assert dialogs_log.titles("question") == ["Delete reading", "Delete reading"]
    assert "deleted" in window.prediction_panel.text()


def test_dicom_fills_patient_fields_and_stores_them(qtbot, make_window, dicom_file, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, dicom_file)
    assert window.patient_panel.values() == ("PID-0042", "Doe, Jane")
    reading = window.current_reading
    assert (reading.patient_id, reading.patient_name) == ("PID-0042", "Doe, Jane")


def test_patient_details_can_be_changed_after_saving(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    reading_id = window.current_reading.id
    stored_before = window.history.get(reading_id)
    panel = window.patient_panel
    panel.id_edit.setText("LATE-1")
    panel.name_edit.setText("Mwangi, Grace")
    assert panel.save_button.isEnabled()
    with qtbot.waitSignal(window.history_actions.patientSaved, timeout=10_000):
        panel.save_button.click()
    assert window.current_reading.id == reading_id  # updated in place: the id is kept
    assert (window.current_reading.patient_id, window.current_reading.patient_name) == (
        "LATE-1", "Mwangi, Grace")
    stored = window.history.get(reading_id)
    assert (stored.patient_id, stored.patient_name) == ("LATE-1", "Mwangi, Grace")
    assert stored.created_utc == stored_before.created_utc
    assert stored.probabilities == stored_before.probabilities
    assert window.history.count() == 1
    settle(qtbot, window.history_view)
    model = window.history_view.model
    assert model.total == 1
    row = model.row_of(reading_id)
    assert row is not None
    assert model.reading_at(row).id == reading_id
    assert model.data(model.index(row, COL_PID)) == "LATE-1"
    assert model.data(model.index(row, COL_NAME)) == "Mwangi, Grace"
    assert not panel.save_button.isEnabled()


def test_saving_patient_details_of_a_deleted_reading_says_so(qtbot, make_window, images,
                                                            monkeypatch, dialogs_log):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    window.history.delete(window.current_reading.id)  # e.g. by another window
    window.patient_panel.id_edit.setText("LATE-2")
    window.patient_panel.save_button.click()
    qtbot.waitUntil(lambda: bool(dialogs_log.calls), timeout=10_000)
    assert dialogs_log.titles() == ["Patient details not saved"]
    assert "no longer in the history" in dialogs_log.texts()[0]
    assert window.history.count() == 0


def test_export_csv(qtbot, make_window, images, monkeypatch, tmp_path):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    target = tmp_path / "out.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.commands.export.trigger()
    qtbot.waitUntil(target.exists, timeout=10_000)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[0].startswith("id,")


def test_view_shortcuts_drive_the_viewer(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    viewer = window.viewer
    fit_scale = viewer.current_scale()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)  # shortcuts need the active window
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert viewer.current_scale() > fit_scale
    qtbot.keyClick(viewer, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert viewer.current_scale() == pytest.approx(fit_scale)
    qtbot.keyClick(viewer, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert viewer.current_scale() == pytest.approx(1.0)
    qtbot.keyClick(viewer, Qt.Key.Key_I)
    assert viewer.inverted and window.commands.invert.isChecked()
    qtbot.keyClick(viewer, Qt.Key.Key_H)
    assert not viewer.heatmap_visible
    viewer.set_window_level(60, 40)
    qtbot.keyClick(viewer, Qt.Key.Key_R)
    assert viewer.window_level == (127.5, 256.0)


def test_settings_persist(qtbot, make_window):
    window = make_window()
    window.opacity_slider.setValue(70)
    window.commands.heatmap.setChecked(False)
    window.resize(1000, 700)
    window.close()
    again = make_window()
    assert again.opacity_slider.value() == 70
    assert not again.commands.heatmap.isChecked()
    assert again.viewer.heatmap_opacity == pytest.approx(0.7)


def test_quitting_during_inference_is_safe_and_keeps_the_reading(qtbot, make_window, images,
                                                                 app_home):
    window = make_window()
    real = window.service.classifier

    class SlowClassifier:
        card = real.card
        started = False

        def predict(self, image):
            SlowClassifier.started = True
            time.sleep(0.8)
            return real.predict(image)

    window.service.classifier = SlowClassifier()
    window.open_file(str(images["light"]))
    qtbot.waitUntil(lambda: SlowClassifier.started, timeout=10_000)
    window.close()  # blocks until the prediction finished and was saved
    qtbot.wait(50)  # queued results are delivered to a closed window: ignored
    assert window.closed
    assert history_count(app_home) == 1


def test_model_missing_still_starts(qtbot, make_window, images, tmp_path, dialogs_log):
    window = make_window(model_dir=tmp_path / "no-model-here")
    qtbot.waitUntil(lambda: bool(dialogs_log.calls), timeout=5_000)
    assert dialogs_log.titles() == ["AI model not available"]
    assert window.classifier is None
    assert "not available" in window.prediction_panel.text()
    assert not window.commands.open_folder.isEnabled()
    window.open_file(str(images["light"]))
    qtbot.waitUntil(lambda: window.viewer.has_image, timeout=10_000)
    assert window.current_reading is None
    assert window.history_view.isEnabled()


def test_recent_files_menu_reopens(qtbot, make_window, images, monkeypatch):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    open_via_menu(qtbot, window, monkeypatch, images["grey"])
    menu = window.commands.recent_menu
    window.recent.fill()
    names = [a.text() for a in menu.actions() if a.text()]
    assert names[:2] == ["&1 grey.png", "&2 light.png"]
    previous = window.current_reading.id
    menu.actions()[1].trigger()
    wait_for_reading(qtbot, window, previous)
    assert window.current_reading.source_path == str(images["light"])


def test_drop_a_folder_runs_a_batch(qtbot, make_window, images):
    window = make_window()
    with qtbot.waitSignal(window.batch.finished, timeout=30_000) as blocker:
        _drop_onto(window, images["light"].parent)
    assert blocker.args[0].total == 4


def test_quitting_during_a_batch(qtbot, make_window, images, app_home, tmp_path):
    import shutil

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        shutil.copy(images["light"], folder / f"image-{i:02d}.png")
    window = make_window()
    saved = []
    window.batch.itemDone.connect(lambda item: item.reading_id and saved.append(item.reading_id))
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: bool(saved), timeout=20_000)
    assert window.batch.running
    done_at_close = len(saved)
    window.close()  # the image in progress (if any) is finished and saved, the rest never start
    qtbot.wait(200)
    assert history_count(app_home) in (done_at_close, done_at_close + 1)
    assert history_count(app_home) < 40


def test_about_and_full_screen(qtbot, make_window, monkeypatch):
    from cxr_desktop.ui.dialogs import AboutDialog

    window = make_window()
    shown = []
    monkeypatch.setattr(AboutDialog, "exec", lambda self: shown.append(self.browser.toPlainText()) or 0)
    window.commands.about.trigger()
    assert "tiny-test-model" in shown[0]
    window.commands.full_screen.trigger()
    qtbot.waitUntil(window.isFullScreen, timeout=5_000)
    window.commands.full_screen.trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)


@pytest.mark.parametrize("answer_yes", [True, False])
def test_unsaved_patient_edits_are_never_given_to_the_wrong_xray(qtbot, make_window, images,
                                                                 monkeypatch, dialogs_log,
                                                                 answer_yes):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    first_id = window.current_reading.id
    window.patient_panel.id_edit.setText("EDITED")
    dialogs_log.answer_yes = answer_yes
    open_via_menu(qtbot, window, monkeypatch, images["grey"])
    wait_for_reading(qtbot, window, first_id)
    assert dialogs_log.titles("question") == ["Patient details changed"]
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    readings = {r.source_path: r for r in window.history.search()}
    first, second = readings[str(images["light"])], readings[str(images["grey"])]
    if answer_yes:  # saved with the X-ray that was on screen; the new one starts empty
        assert first.patient_id == "EDITED" and second.patient_id is None
    else:  # meant for the new image
        assert first.patient_id is None and second.patient_id == "EDITED"


def test_a_file_that_cannot_be_opened_changes_nothing(qtbot, make_window, images, monkeypatch,
                                                      dialogs_log):
    window = make_window()
    open_via_menu(qtbot, window, monkeypatch, images["light"])
    before = window.current_reading
    window.open_file(str(images["bad"]))
    qtbot.waitUntil(lambda: bool(dialogs_log.calls), timeout=10_000)
    assert window.current_reading is before
    assert window.prediction_panel.result is not None
    assert window.viewer.image_size == (260, 300)


def test_every_shortcut_is_unique_and_the_main_ones_fire(qtbot, make_window, images, monkeypatch):
    from PySide6.QtGui import QAction

    window = make_window()
    seen: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            key = sequence.toString()
            assert key not in seen or seen[key] == action.text(), f"{key}: {seen.get(key)} / {action.text()}"
            seen[key] = action.text()
    for key in ("Ctrl+O", "Ctrl+Shift+O", "Ctrl+E", "Ctrl+Q", "Ctrl+0", "Ctrl+1", "F11", "F1",
                "Ctrl+F", "I", "H", "R"):
        assert key in seen, key
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(images["light"]), "")))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)  # shortcuts need the active window
    window.viewer.setFocus()
    qtbot.keyClick(window.viewer, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    wait_for_reading(qtbot, window)
    qtbot.keyClick(window.viewer, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.history_view.search_edit.hasFocus()
    qtbot.keyClick(window.history_view.search_edit, Qt.Key.Key_H)  # typing is not a shortcut
    assert window.history_view.search_edit.text() == "h" and window.viewer.heatmap_visible
