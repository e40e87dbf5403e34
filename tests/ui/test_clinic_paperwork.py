"""Issue 11 in two windows sharing one clinic server (the X-ray room and the clinician's office,
separate CXR_DESKTOP_HOME), tried as a clinic would: the office finds the room's DICOM reading
in its worklist, is told when it opens the same image again (read on another PC), saves the
report of the room's reading with the DICOM facts on it and reviews it in the Review dialog.
The server stops: the room's worklist lists what it keeps and says so; a kept reading is
reviewed and its report printed there; back online, it reaches the office with its review."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from PySide6.QtWidgets import QFileDialog

from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.ui.review_dialog import ReviewDialog
from tests.pg_server import own_server
from tests.ui.conftest import RESULT_TIMEOUT_MS, wait_for_reading
from tests.ui.test_clinic_day import open_window
from tests.ui.test_paperwork import run_in_dialog
from tests.ui.test_report_pdf import squash


@pytest.fixture(scope="module")
def paperwork_server():
    yield from own_server()


def pdf_text(path: Path) -> str:
    return squash(pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages[0].extract_text())


def review_in_dialog(qtbot, window, label: str, note: str) -> list:
    """Open the worklist's first reading in the (real) Review dialog, confirm ``label``, save."""
    def steps(dialog: ReviewDialog) -> None:
        dialog.note_edit.setPlainText(note)
        dialog.label_combo.setCurrentIndex(dialog.label_combo.findData(label))
        dialog.accept()

    errors = run_in_dialog(window.history_view.review_session, steps)
    window.paperwork.worklist.review_row(0)
    qtbot.waitUntil(lambda: window.history_view.review_session.dialog is None and not
                    window.ops.busy, timeout=RESULT_TIMEOUT_MS)
    return errors


def save_report(qtbot, window, monkeypatch, target: Path) -> str:
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "")))
    window.commands.save_report.trigger()
    qtbot.waitUntil(target.exists, timeout=RESULT_TIMEOUT_MS)
    return pdf_text(target)


def test_paperwork_across_two_pcs_and_an_outage(qtbot, monkeypatch, tmp_path: Path,
                                               paperwork_server, tiny_model_dir: Path,
                                               images, dicom_file: Path, dialogs_log) -> None:
    url = paperwork_server.url(paperwork_server.new_database("paperwork"))
    with PostgresHistory(url):
        pass  # the tables
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    windows: list = []
    try:
        room = open_window(qtbot, monkeypatch, tmp_path / "xray-room", tiny_model_dir, windows)
        office = open_window(qtbot, monkeypatch, tmp_path / "office", tiny_model_dir, windows)

        # 1. the room reads a DICOM file: on the server, with what its header said
        room.open_file(str(dicom_file))
        wait_for_reading(qtbot, room)
        assert room.current_reading.id == 1
        with PostgresHistory(url) as server:
            facts = server.get(1).dicom
        assert facts is not None and facts.sop_instance_uid

        # 2. the office: the reading is in its worklist; opening the same image again there
        # offers the room's reading instead of a second one
        office.paperwork.worklist.refresh()
        qtbot.waitUntil(lambda: [r.id for r in office.paperwork.worklist.readings] == [1],
                        timeout=RESULT_TIMEOUT_MS)
        assert office.paperwork.worklist.count_label.text() == "1 reading to review"
        office.open_file(str(dicom_file))
        qtbot.waitUntil(lambda: office.current_reading is not None
                        and office.current_reading.id == 1, timeout=RESULT_TIMEOUT_MS)
        assert any("already in the history: reading #1" in t for t in dialogs_log.texts())
        with PostgresHistory(url) as server:
            assert server.count() == 1

        # 3. the office saves the report of the room's reading, then reviews it
        text = save_report(qtbot, office, monkeypatch, tmp_path / "office-report.pdf")
        assert squash("Reading #1") in text and squash("PID-0042") in text
        assert review_in_dialog(qtbot, office, "COVID-19", "Refer for PCR test") == []
        qtbot.waitUntil(lambda: office.paperwork.worklist.total == 0, timeout=RESULT_TIMEOUT_MS)
        with PostgresHistory(url) as server:
            reviewed = server.get(1)
        assert (reviewed.confirmed_label, reviewed.note, reviewed.version) == (
            "COVID-19", "Refer for PCR test", 2)

        # 4. the server stops; the room's new reading is kept there and worked on there
        paperwork_server.stop()
        room.open_file(str(images["grey"]))
        qtbot.waitUntil(lambda: room.current_reading is not None and room.current_reading.id < 0
                        and not room.controller.busy and not room.ops.busy,
                        timeout=RESULT_TIMEOUT_MS)
        worklist = room.paperwork.worklist
        worklist.refresh()
        qtbot.waitUntil(lambda: worklist.total == 1 and worklist.readings[0].id < 0,
                        timeout=RESULT_TIMEOUT_MS)
        assert worklist.count_label.text().startswith("Working offline: 1 reading kept on this PC")
        text = save_report(qtbot, room, monkeypatch, tmp_path / "room-report.pdf")
        assert squash("Reading kept on this PC (not yet in the clinic database)") in text
        assert review_in_dialog(qtbot, room, "Normal", "seen during the outage") == []
        qtbot.waitUntil(lambda: worklist.total == 0, timeout=RESULT_TIMEOUT_MS)

        # 5. back: the kept reading reaches the server with its review
        paperwork_server.start()
        qtbot.waitUntil(lambda: room.history.status().online and room.history.status().waiting == 0,
                        timeout=40_000)
        with PostgresHistory(url) as server:
            assert server.count() == 2 and server.count_to_review() == 0
            sent = [r for r in server.search() if r.id != 1]
        assert [(r.confirmed_label, r.note) for r in sent] == [("Normal", "seen during the outage")]
    finally:
        if not paperwork_server.running():
            paperwork_server.start()
        for window in windows:
            if not window.closed:
                window.close()
