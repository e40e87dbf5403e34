"""Text from a file or a person is never interpreted as rich text, wherever the window shows it.

A DICOM whose every text field holds HTML (``<img ... width=400 height=400>``, ``<font size=7
color=red>NORMAL</font>``), in a file whose name is HTML too, with an HTML clinician's note, is
opened, saved, reviewed, listed, batch-analysed and deleted. Every label, tooltip, message box,
progress label and window title that shows one of those texts must show its characters as
written, and nothing may grow to the size of the ``<img>``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtGui
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QToolTip, QWidget

from cxr_desktop.ui import plain
from cxr_desktop.ui.history_model import COL_FINDING, COL_NAME, COL_NOTE, COL_PID, COLUMNS
from cxr_desktop.ui.review_dialog import ReviewDialog
from tests.core.dicom_factory import make_dataset, write
from tests.ui.conftest import settle, wait_for_reading

IMG = "<img src='x' width=400 height=400>"  # 35 characters: fits a DICOM LO (64)
FONT = "<font size=7 color=red>NORMAL</font>"
NAME = "<h1><u>NORMAL</u></h1>"  # no '=' or '^': DICOM person-name separators
NOTE = f"{IMG}\n<table><tr><td>{FONT}</td></tr></table> &amp; &lt;b&gt; [*] & done"
FILE_NAME = f"{IMG}.dcm"
BROKEN_NAME = "<font size=7 color=red>NORMAL.png"  # a file name has no '/'
PAYLOADS = (IMG, FONT, NAME)
#: Far below the <img>'s 400 px: a line or two of text.
MAX_TEXT_HEIGHT = 150


def displayed(text: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """The characters a person sees when ``text`` is shown with text format ``fmt``."""
    rich = fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text))
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def assert_label_plain(label: QLabel) -> None:
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText:
        # Only the app's own fixed markup may be rich; nothing from the file or the person.
        assert not any(p in displayed(text, label.textFormat()) for p in PAYLOADS), text
        return
    shown = displayed(text, label.textFormat())
    assert shown == text, f"{label.objectName() or type(label.parent()).__name__}: {text!r} is shown as {shown!r}"
    if any(p in text for p in PAYLOADS):
        # No taller than its characters as plain lines (an <img width=400> drawn would be).
        lines = label.fontMetrics().boundingRect(
            0, 0, max(label.width(), label.sizeHint().width()), 100_000,
            int(Qt.TextFlag.TextWordWrap), text).height()
        assert label.sizeHint().height() < max(MAX_TEXT_HEIGHT, lines + 40), (text, label.sizeHint())


def labels_of(widget: QWidget | None = None) -> list[QLabel]:
    if widget is not None:
        return widget.findChildren(QLabel)
    return [w for w in QApplication.allWidgets() if isinstance(w, QLabel)]


def shown_tooltip(text: str, widget: QWidget) -> QLabel:
    """Show ``text`` as Qt shows a tooltip and return the tooltip label."""
    QToolTip.showText(widget.mapToGlobal(QPoint(5, 5)), text, widget)
    tips = [w for w in QApplication.topLevelWidgets() if w.inherits("QTipLabel") and w.isVisible()]
    assert tips, "no tooltip shown"
    return tips[0]


def assert_tooltip_shows(text: str, expected: str, widget: QWidget) -> None:
    assert expected in displayed(text), (text, displayed(text))
    tip = shown_tooltip(text, widget)
    assert expected in displayed(tip.text(), tip.textFormat())
    assert tip.sizeHint().height() < MAX_TEXT_HEIGHT, tip.sizeHint()
    QToolTip.hideText()


@dataclass
class Hostile:
    dicom: Path
    broken: Path


@pytest.fixture
def hostile(tmp_path: Path) -> Hostile:
    folder = tmp_path / "<b>folder"
    folder.mkdir()
    pixels = np.clip(np.random.default_rng(7).normal(2800, 150, (240, 200)), 0, 4095).astype(np.uint16)
    ds = make_dataset(pixels, "MONOCHROME2", 12, PatientID=FONT, PatientName=NAME,
                      StudyDescription=IMG, SeriesDescription=FONT, InstitutionName=IMG,
                      ReferringPhysicianName=NAME, AccessionNumber="<b>A1</b>",
                      StudyID="<i>S1</i>", PatientComments=IMG, ImageComments=FONT)
    dicom = write(folder / FILE_NAME, ds)
    broken = folder / BROKEN_NAME
    broken.write_bytes(b"not an image at all")
    return Hostile(dicom, broken)


def test_dicom_and_note_full_of_html_are_shown_as_written(qtbot, make_window, hostile,
                                                           dialogs_log, monkeypatch):
    window = make_window()
    window.open_file(str(hostile.dicom))
    wait_for_reading(qtbot, window)
    reading = window.current_reading
    assert (reading.patient_id, reading.patient_name) == (FONT, NAME)  # stored verbatim
    assert window.patient_panel.values() == (FONT, NAME)

    # The window title names the file as written (Qt's own title, after its [*] handling).
    assert window.windowTitle().startswith(FILE_NAME)
    handle = window.windowHandle()
    assert handle is not None and handle.title().startswith(FILE_NAME)

    # Review: the header names the patient; the note written there is HTML too.
    seen_headers: list[str] = []

    def fake_exec(dialog: ReviewDialog):
        for label in labels_of(dialog):
            assert_label_plain(label)
            seen_headers.append(displayed(label.text(), label.textFormat()))
        dialog.note_edit.setPlainText(NOTE)
        return ReviewDialog.DialogCode.Accepted

    monkeypatch.setattr(ReviewDialog, "exec", fake_exec)
    window.commands.review.trigger()  # the reading is fetched in the background first
    qtbot.waitUntil(lambda: window.current_reading.note == NOTE, timeout=10_000)
    assert any(FONT in header for header in seen_headers), seen_headers

    # The reading on screen (details show the note) and every label of the window.
    window.current_reading = None
    window.open_reading(reading.id)
    qtbot.waitUntil(lambda: window.current_reading is not None, timeout=10_000)
    assert NOTE in window.prediction_panel.text()
    for label in labels_of():
        assert_label_plain(label)

    # The history table: cells show the text; tooltips render it as written.
    view = window.history_view
    settle(qtbot, view)
    model = view.model
    row = model.row_of(reading.id)
    assert model.data(model.index(row, COL_PID)) == FONT
    assert model.data(model.index(row, COL_NAME)) == NAME
    note_tip = model.data(model.index(row, COL_NOTE), Qt.ItemDataRole.ToolTipRole)
    assert displayed(note_tip) == NOTE
    assert_tooltip_shows(note_tip, IMG, view.table)
    for column in range(len(COLUMNS)):
        tip = model.data(model.index(row, column), Qt.ItemDataRole.ToolTipRole)
        if tip:
            shown_tooltip(tip, view.table)
            QToolTip.hideText()
    assert model.data(model.index(row, COL_FINDING), Qt.ItemDataRole.ToolTipRole)

    # Recent files: the menu entry and its tooltip show the file name and path as written.
    window.recent.fill()
    action = window.commands.recent_menu.actions()[0]
    assert action.text().replace("&&", "&").endswith(FILE_NAME)
    assert_tooltip_shows(action.toolTip(), str(hostile.dicom), window)

    # Deleting asks about the patient by ID: the message box shows it as written.
    view.table.selectRow(row)
    dialogs_log.answer_yes = False
    view.delete_button.click()
    question = dialogs_log.texts("question")[-1]
    assert FONT in displayed(question), (question, displayed(question))


def test_batch_progress_and_summary_show_file_names_as_written(qtbot, make_window, hostile,
                                                               dialogs_log, tmp_path):
    window = make_window()
    folder = hostile.dicom.parent
    with qtbot.waitSignal(window.batch.finished, timeout=30_000):
        window.open_folder(str(folder))
        progress = window.batch.progress
        assert progress is not None
        texts = [(label.text(), label.textFormat()) for label in labels_of(progress)]
        assert any(FILE_NAME in displayed(t, f) or BROKEN_NAME in displayed(t, f)
                   for t, f in texts), texts
        for label in labels_of(progress):
            assert_label_plain(label)
    title, text = dialogs_log.calls[-1][1:]
    assert title == "Folder analysed"
    assert BROKEN_NAME in displayed(text), (text, displayed(text))


def test_a_file_that_cannot_be_opened_names_nothing_as_markup(qtbot, make_window, hostile,
                                                              dialogs_log):
    window = make_window()
    window.open_file(str(hostile.broken))
    qtbot.waitUntil(lambda: bool(dialogs_log.calls), timeout=20_000)
    for _kind, _title, text in dialogs_log.calls:  # never left to Qt's guess
        assert text == plain.rich_text(displayed(text)), text
    for label in labels_of():
        assert_label_plain(label)


def test_window_title_keeps_square_bracket_star(qtbot, make_window, images, tmp_path):
    path = tmp_path / "x-ray [*] of today.png"
    shutil.copy(images["light"], path)
    window = make_window()
    window.open_file(str(path))
    wait_for_reading(qtbot, window)
    assert window.windowHandle().title().startswith("x-ray [*] of today.png")


@pytest.mark.parametrize("text", [IMG, FONT, NOTE, "Tom & Jerry", "a  b\n\n  c", "&lt;b&gt;",
                                  "<!DOCTYPE html><b>x</b>", "tab\there"])
def test_rich_text_shows_exactly_the_original(text: str, qapp) -> None:
    assert displayed(plain.rich_text(text)) == text
    assert QtGui.Qt.mightBeRichText(plain.rich_text(text))  # never left to the guess


def test_helpers(qapp) -> None:
    assert plain.rich_text("") == "" and plain.rich_text(None) == ""
    assert plain.menu_text("R&D") == "R&&D"
    assert plain.window_title("a[*]b") == "a[*][*]b"
    label = plain.plain_label(IMG)
    assert label.textFormat() == Qt.TextFormat.PlainText and label.sizeHint().height() < 100
