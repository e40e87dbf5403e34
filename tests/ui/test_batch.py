"""Open a folder: every image predicted and saved, progress with cancel, summary."""

from __future__ import annotations

import shutil

from PySide6.QtWidgets import QFileDialog, QPushButton

from cxr_desktop.core.types import OOD_LABEL
from tests.ui.conftest import history_count, settle


def folder_of_images(tmp_path, images, dicom_file):
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(images["light"], folder / "a_light.png")
    shutil.copy(images["grey"], folder / "b_grey.png")
    shutil.copy(images["white"], folder / "c_white.png")
    shutil.copy(images["bad"], folder / "d_bad.png")
    shutil.copy(dicom_file, folder / "sub" / "e_chest.dcm")
    (folder / "notes.txt").write_text("not an image")  # skipped: not an image suffix
    return folder


def test_batch_via_menu_saves_everything_and_summarises(qtbot, make_window, images, dicom_file,
                                                        tmp_path, monkeypatch, dialogs_log, app_home):
    window = make_window()
    folder = folder_of_images(tmp_path, images, dicom_file)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    with qtbot.waitSignal(window.batch.finished, timeout=30_000) as blocker:
        window.commands.open_folder.trigger()
        assert window.batch.progress is not None and window.batch.progress.isVisible()
    summary = blocker.args[0]
    assert summary.total == 5 and not summary.cancelled
    assert len(summary.done) == 4 and len(summary.failures) == 1
    assert summary.failures[0].path.endswith("d_bad.png")
    counts = summary.counts()
    assert counts[OOD_LABEL] == 1 and counts["COVID-19"] >= 1
    assert history_count(app_home) == 4
    settle(qtbot, window.history_view)
    assert window.history_view.model.total == 4
    title, text = dialogs_log.calls[-1][1:]
    assert title == "Folder analysed"
    assert "4 analysed and saved" in text and "d_bad.png" in text and "Not a chest X-ray: 1" in text
    assert window.batch.progress is None
    patients = {r.patient_id for r in window.history.search()}
    assert "PID-0042" in patients  # DICOM tags are stored in batch mode too


def test_batch_cancel_stops_after_the_current_image(qtbot, make_window, images, dicom_file,
                                                   tmp_path, app_home):
    window = make_window()
    folder = folder_of_images(tmp_path, images, dicom_file)

    def press_cancel(_item):
        button = window.batch.progress.findChild(QPushButton)
        assert button.text() == "Cancel"
        button.click()

    window.batch.itemDone.connect(press_cancel)
    with qtbot.waitSignal(window.batch.finished, timeout=30_000) as blocker:
        window.open_folder(str(folder))
    summary = blocker.args[0]
    assert summary.cancelled and len(summary.items) == 1
    assert "Cancelled after 1 of 5" in summary.text()
    assert history_count(app_home) == 1


def test_empty_folder(qtbot, make_window, tmp_path, dialogs_log):
    window = make_window()
    (tmp_path / "empty").mkdir()
    window.open_folder(str(tmp_path / "empty"))
    assert dialogs_log.titles() == ["Nothing to analyse"]
    assert not window.batch.running
