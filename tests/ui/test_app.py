"""Composition root: disclaimer, broken model, logging, crash handler, run_gui."""

from __future__ import annotations

import logging
import shutil
import sys

import pytest
from PySide6.QtCore import QTimer, qInstallMessageHandler, qWarning
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication, QDialog

from cxr_desktop.ui import app as app_module
from cxr_desktop.ui import logging_setup
from cxr_desktop.ui.app import create_application, create_main_window, load_classifier
from cxr_desktop.ui.dialogs import AboutDialog, DisclaimerDialog, about_html
from cxr_desktop.ui.settings import AppSettings
from tests.ui.conftest import wait_for_reading


def test_application_identity_and_fonts(qapp):
    app = create_application()
    assert app is qapp
    assert app.organizationName() and app.applicationName() == "CXR Desktop"
    info = QFontInfo(app.font())
    assert info.family() and info.pointSizeF() >= 10


def test_disclaimer_must_be_accepted_once(qtbot, app_home, tiny_model_dir, monkeypatch):
    shown = []
    monkeypatch.setattr(DisclaimerDialog, "exec",
                        lambda self: shown.append(1) or QDialog.DialogCode.Rejected)
    assert create_main_window(model_dir=tiny_model_dir, show_disclaimer=True) is None
    monkeypatch.setattr(DisclaimerDialog, "exec",
                        lambda self: shown.append(2) or QDialog.DialogCode.Accepted)
    window = create_main_window(model_dir=tiny_model_dir, show_disclaimer=True)
    qtbot.addWidget(window)
    assert window is not None and AppSettings().disclaimer_accepted
    window.close()
    monkeypatch.setattr(DisclaimerDialog, "exec", lambda self: pytest.fail("asked again"))
    again = create_main_window(model_dir=tiny_model_dir, show_disclaimer=True)
    qtbot.addWidget(again)
    again.close()
    assert shown == [1, 2]


def test_disclaimer_dialog_buttons(qtbot):
    dialog = DisclaimerDialog()
    qtbot.addWidget(dialog)
    assert dialog.accept_button.text() == "I understand"
    assert "second opinion" in dialog.browser.toPlainText().lower()


def test_corrupt_model_is_refused_with_a_clear_message(tmp_path, tiny_model_dir, qapp):
    broken = tmp_path / "model"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "tiny.onnx").write_bytes(b"garbage")
    classifier, message = load_classifier(broken)
    assert classifier is None and "damaged" in message
    (broken / "model_card.json").write_text("{not json")
    assert "damaged" in load_classifier(broken)[1]


def test_about_shows_the_model_card(qtbot, tiny_model_dir):
    classifier, _ = load_classifier(tiny_model_dir)
    dialog = AboutDialog(classifier.card)
    qtbot.addWidget(dialog)
    text = dialog.browser.toPlainText()
    assert "tiny-test-model" in text and "0.0.1" in text and "Intended use" in text
    assert "Viral Pneumonia" in text
    assert "Not loaded" in about_html(None, "The AI model is missing.")


def test_logging_goes_to_the_log_dir_without_patient_names(qtbot, make_window, restore_logging,
                                                          app_home, tmp_path, dicom_file, images):
    log_file = logging_setup.setup_logging()
    assert log_file == app_home / "logs" / "cxr-desktop.log"
    logging_setup.install_qt_message_handler()
    try:
        qWarning("hello from Qt")
    finally:
        qInstallMessageHandler(None)
    named = tmp_path / "Jane_Doe_chest.dcm"
    shutil.copy(dicom_file, named)
    window = make_window()
    window.open_file(str(named))
    wait_for_reading(qtbot, window)
    window.open_file(str(images["bad"]))
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=10_000)
    # Another module logging the path (imaging does for an unreadable EXIF block) is scrubbed too.
    logging.getLogger("cxr_desktop.core.imaging").info("ignoring EXIF in %s", named)
    for handler in logging.getLogger("cxr_desktop").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "hello from Qt" in text
    assert "prediction for file#" in text and "could not open file#" in text
    for secret in ("Jane", "Doe", "broken", "PID-0042", str(tmp_path)):
        assert secret not in text
    assert "ignoring EXIF in file#" in text


def test_excepthook_writes_a_crash_report_and_shows_a_dialog(qapp, app_home, restore_logging,
                                                            dialogs_log):
    logging_setup.install_excepthook()
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    reports = list((app_home / "logs").glob("crash-*.log"))
    assert len(reports) == 1 and "kaboom" in reports[0].read_text(encoding="utf-8")
    assert dialogs_log.titles("critical") == ["CXR Desktop: unexpected problem"]


def test_run_gui_starts_opens_the_file_and_returns(qtbot, app_home, tiny_model_dir, images,
                                                   monkeypatch, restore_logging):
    monkeypatch.setenv("CXR_DESKTOP_MODEL_DIR", str(tiny_model_dir))
    AppSettings().accept_disclaimer()
    seen = {}

    def fake_exec():
        window = next(w for w in QApplication.topLevelWidgets()
                      if w.objectName() == "main_window" and w.isVisible())
        seen["window"] = window
        qtbot.waitUntil(lambda: window.current_reading is not None, timeout=20_000)
        QTimer.singleShot(0, window.close)
        qtbot.wait(20)
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    monkeypatch.setattr(app_module, "install_qt_message_handler", lambda: None)
    assert app_module.run_gui([str(images["light"])]) == 0
    assert seen["window"].closed
    assert seen["window"].current_reading.source_path == str(images["light"])
