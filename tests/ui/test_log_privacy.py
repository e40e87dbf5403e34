"""The one privacy rule for logs, in the window: nothing the window does (open, a broken file, a
review with a note, export, a folder batch, reopening, a crash report) puts a file name, path or
patient field into a log line or crash report. The command line's half is tests/test_log_privacy.py."""

from __future__ import annotations

import logging
import shutil
import sys

from tests.test_log_privacy import _all_logs, _assert_clean, _files


def test_the_window_logs_no_names(qtbot, make_window, tmp_path, app_home, monkeypatch,
                                  restore_logging):
    from PySide6.QtWidgets import QFileDialog

    from cxr_desktop.ui.logging_setup import setup_logging, write_crash_report
    from cxr_desktop.ui.review_dialog import ReviewDialog
    from tests.ui.conftest import wait_for_reading

    setup_logging()
    files = _files(tmp_path)
    window = make_window()
    window.open_file(str(files["dicom"]))
    wait_for_reading(qtbot, window)
    window.open_file(str(files["broken"]))
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=20_000)

    def fake_exec(dialog):
        dialog.note_edit.setPlainText("Kofi Mensah seen by Dr. Osei")
        return ReviewDialog.DialogCode.Accepted

    monkeypatch.setattr(ReviewDialog, "exec", fake_exec)
    window.history_view.review(1)
    qtbot.waitUntil(lambda: not window.ops.busy, timeout=10_000)
    target = tmp_path / "Mensah_Kofi_export.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.history_actions.export_csv(None)
    qtbot.waitUntil(target.exists, timeout=10_000)
    with qtbot.waitSignal(window.batch.finished, timeout=30_000):
        window.open_folder(str(files["folder"]))
    shutil.rmtree(files["folder"])  # a reading whose file is gone is reopened from the history
    window.open_reading(1)
    qtbot.waitUntil(lambda: window.current_reading is not None and window.current_reading.id == 1,
                    timeout=10_000)
    try:
        raise RuntimeError(f"cannot read {files['dicom']} of Mensah^Kofi")
    except RuntimeError:
        report = write_crash_report(*sys.exc_info())
    window.close()
    for handler in logging.getLogger("cxr_desktop").handlers:
        handler.flush()
    assert report is not None and report.is_file()
    _assert_clean(_all_logs(app_home))
