"""Opening an image that is already in the history asks (show the saved reading, or read it
again on purpose); the patient fields are kept or cleared for the next image by a visible
choice, never silently."""

from __future__ import annotations

from pathlib import Path

from cxr_desktop.core.types import ImageMetadata
from cxr_desktop.ui.patient_panel import PatientPanel
from tests.core.dicom_factory import make_dataset, write
from tests.core.storage.helpers import make_reading
from tests.ui.conftest import RESULT_TIMEOUT_MS, settle


def open_and_wait(qtbot, window, path: Path) -> None:
    window.open_file(str(path))
    qtbot.waitUntil(lambda: not window.controller.busy and not window.ops.busy,
                    timeout=RESULT_TIMEOUT_MS)
    settle(qtbot, window.history_view)


def test_the_same_file_again_offers_the_saved_reading(qtbot, make_window, images, dialogs_log):
    window = make_window()
    open_and_wait(qtbot, window, images["light"])
    first = window.current_reading.id
    assert dialogs_log.titles() == []
    dialogs_log.answer_yes = True  # "Show the saved reading?" Yes
    open_and_wait(qtbot, window, images["light"])
    qtbot.waitUntil(lambda: window.current_reading is not None
                    and window.current_reading.id == first, timeout=RESULT_TIMEOUT_MS)
    assert dialogs_log.titles("question") == ["Already in the history"]
    assert f"reading #{first}" in dialogs_log.texts("question")[0]
    assert window.history.count() == 1
    dialogs_log.answer_yes = False  # No: read it again on purpose
    open_and_wait(qtbot, window, images["light"])
    qtbot.waitUntil(lambda: window.history.count() == 2, timeout=RESULT_TIMEOUT_MS)
    assert window.current_reading.id != first


def test_a_re_exported_dicom_is_found_by_its_sop_instance_uid(qtbot, make_window, tmp_path,
                                                              dialogs_log):
    import numpy as np

    pixels = np.clip(np.random.default_rng(3).normal(2048, 100, (200, 180)), 0, 4095).astype(np.uint16)
    ds = make_dataset(pixels, "MONOCHROME2", 12, PatientID="P-9", SOPInstanceUID="1.2.826.0.1.99")
    window = make_window()
    open_and_wait(qtbot, window, write(tmp_path / "a.dcm", ds))
    ds.InstitutionName = "Re-exported"  # other bytes, same image
    dialogs_log.answer_yes = True
    open_and_wait(qtbot, window, write(tmp_path / "b.dcm", ds))
    assert dialogs_log.titles("question") == ["Already in the history"]
    assert window.history.count() == 1


META = ImageMetadata("PNG", 10, 10, 8, "L")


def test_the_previous_patient_is_cleared_visibly_or_kept_on_purpose(qtbot):
    panel = PatientPanel()
    qtbot.addWidget(panel)
    panel.bind(make_reading(id=1, patient_id="P-7", patient_name="Banda, Grace"))
    panel.image_loaded(META)  # not ticked: cleared, and the hint says so
    assert panel.values() == ("", "")
    assert "previous patient's details were cleared" in panel.hint.text()
    panel.bind(make_reading(id=2, patient_id=None, patient_name=None))
    assert "Saved without patient details" in panel.hint.text()
    panel.id_edit.setText("P-7")
    panel.bind(make_reading(id=3, patient_id="P-7", patient_name=None))
    panel.keep_check.setChecked(True)  # a second film of the same patient
    panel.image_loaded(META)
    assert panel.values() == ("P-7", "") and "Kept from the previous image" in panel.hint.text()


def test_a_second_film_keeps_the_patient_when_ticked(qtbot, make_window, images):
    window = make_window()
    panel = window.patient_panel
    panel.id_edit.setText("P-1")
    panel.name_edit.setText("Phiri, John")
    open_and_wait(qtbot, window, images["light"])
    panel.keep_check.setChecked(True)
    open_and_wait(qtbot, window, images["grey"])
    saved = [(r.patient_id, r.patient_name) for r in window.history.search()]
    assert saved == [("P-1", "Phiri, John")] * 2


def test_watched_folder_is_off_by_default_and_reads_new_files_once(qtbot, make_window, tmp_path,
                                                                   monkeypatch, images):
    import shutil

    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    watched = window.paperwork.watched_folder
    assert not window.commands.watch_folder.isChecked() and not watched.timer.isActive()
    folder = tmp_path / "unit"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(folder)))
    window.commands.watch_folder.trigger()
    assert watched.timer.isActive() and watched.folder == str(folder)
    shutil.copy(images["light"], folder / "new.png")
    watched.watcher = None
    qtbot.waitUntil(lambda: watched.watcher is not None or not watched._busy, timeout=5000)
    watched.look()
    qtbot.waitUntil(lambda: not watched._busy, timeout=RESULT_TIMEOUT_MS)
    watched.watcher.settle_s = 0.0  # the file is complete: no need to wait the usual 3 s
    for _round in range(3):
        watched.look()
        qtbot.waitUntil(lambda: not watched._busy, timeout=RESULT_TIMEOUT_MS)
    assert window.history.count() == 1
    window.close()
    again = make_window()  # remembered, and the journal says it was read
    assert again.commands.watch_folder.isChecked()
    again.paperwork.watched_folder.look()
    qtbot.waitUntil(lambda: not again.paperwork.watched_folder._busy, timeout=RESULT_TIMEOUT_MS)
    assert again.history.count() == 1
    again.commands.watch_folder.trigger()
    assert not again.paperwork.watched_folder.timer.isActive()
