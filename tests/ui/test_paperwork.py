"""Issue 11's walk-through, as a new user would: import a CD (DICOMDIR made with FileSet), work
through the worklist confirming findings by keyboard, print one report and save it as PDF, save
the month's summary as PDF; every field on paper matches the screen; nothing is read twice."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog

from cxr_desktop.service.clinic import ClinicInfo, save_clinic
from cxr_desktop.ui.review_dialog import ReviewDialog
from cxr_desktop.ui.summary_dialog import SummaryDialog
from tests.core.media_factory import make_cd
from tests.ui.conftest import RESULT_TIMEOUT_MS, settle
from tests.ui.test_report_pdf import squash

pytestmark = pytest.mark.filterwarnings("ignore:The referenced SOP Instance")


def pdf_text(path: Path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages]


def import_cd(qtbot, window, monkeypatch, cd: Path):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(cd)))
    window.commands.import_media.trigger()
    dialog = window.paperwork.import_dialog
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=RESULT_TIMEOUT_MS)
    return dialog


def wait_batch(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.batch.running and not window.ops.busy,
                    timeout=RESULT_TIMEOUT_MS)
    settle(qtbot, window.history_view)


def test_import_a_cd_once(qtbot, make_window, monkeypatch, tmp_path: Path, dialogs_log) -> None:
    window = make_window()
    cd = make_cd(tmp_path / "cd")
    dialog = import_cd(qtbot, window, monkeypatch, cd)
    states = [(group.series, item.checkState(0) == Qt.CheckState.Checked, item.text(3))
              for item, group in dialog.series_items]
    assert [s[:2] for s in states] == [("Series 1: Chest PA", True), ("Series 2: Chest lateral", False),
                                       ("Series 3: Thorax CT", False), ("Series 4: Left hand", False)]
    assert "lateral view" in states[1][2] and "CT scan" in states[2][2] and "hand" in states[3][2]
    qtbot.waitUntil(lambda: not dialog.series_items[0][0].icon(0).isNull(), timeout=RESULT_TIMEOUT_MS)
    assert dialog.import_button.text() == "&Import 1 image"
    dialog.import_button.click()
    wait_batch(qtbot, window)
    assert window.history.count() == 1
    assert "Folder analysed" in dialogs_log.titles()
    again = import_cd(qtbot, window, monkeypatch, cd)  # the same CD again
    first = again.series_items[0][0]
    assert first.checkState(0) == Qt.CheckState.Unchecked
    assert first.text(3) == "Already in the history as reading #1."
    assert not again.import_button.isEnabled()
    again.reject()
    assert window.history.count() == 1


def run_in_dialog(session, steps):
    """Run ``steps(dialog)`` once the session's Review dialog is open (it runs its own event
    loop)."""
    def attempt() -> None:
        dialog = session.dialog
        if isinstance(dialog, ReviewDialog) and dialog.isVisible():
            try:
                steps(dialog)
            except BaseException as exc:  # noqa: BLE001 - reported by the test, not lost in Qt
                errors.append(exc)
                dialog.reject()
        else:
            QTimer.singleShot(20, attempt)
    errors: list[BaseException] = []
    QTimer.singleShot(0, attempt)
    return errors


def test_walk_through(qtbot, make_window, monkeypatch, tmp_path: Path, images, app_home) -> None:
    save_clinic(ClinicInfo("Kibera Community Clinic", "PO Box 123, Nairobi"))
    window = make_window()
    dialog = import_cd(qtbot, window, monkeypatch, make_cd(tmp_path / "cd"))
    dialog.import_button.click()
    wait_batch(qtbot, window)
    for name in ("grey", "light"):  # two more, opened one by one
        window.open_file(str(images[name]))
        qtbot.waitUntil(lambda: window.current_reading is not None and not window.controller.busy
                        and not window.ops.busy, timeout=RESULT_TIMEOUT_MS)
    settle(qtbot, window.history_view)

    # The worklist: uncertain (referred) first, then the oldest.
    window.commands.worklist.trigger()
    worklist = window.paperwork.worklist
    qtbot.waitUntil(lambda: worklist.total == 3, timeout=RESULT_TIMEOUT_MS)
    order = [r.id for r in worklist.readings]
    expected = sorted((r for r in worklist.readings),
                      key=lambda r: (r.out_of_distribution, not r.uncertain, r.created_utc))
    assert order == [r.id for r in expected]
    seen: list[tuple[int, str, bool]] = []

    def work(review: ReviewDialog) -> None:
        review.activateWindow()  # its shortcuts work in the active window
        qtbot.waitUntil(review.isActiveWindow, timeout=RESULT_TIMEOUT_MS)
        for number in (2, 1, 3):  # Ctrl+2 Normal, Ctrl+1 COVID-19, Ctrl+3 Viral Pneumonia
            qtbot.waitUntil(lambda: review.reading.id not in [s[0] for s in seen],
                            timeout=RESULT_TIMEOUT_MS)
            seen.append((review.reading.id, review.finding.text(), review.viewer.has_image))
            qtbot.keyClick(review, Qt.Key.Key_1 + number - 1, Qt.KeyboardModifier.ControlModifier)
            qtbot.keyClick(review, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            # Let go of Ctrl: Qt keeps the last event's modifiers as the keyboard's state, and
            # a Ctrl "still held" makes the next test's selectRow() toggle instead of select.
            qtbot.keyRelease(review, Qt.Key.Key_Control)

    errors = run_in_dialog(window.history_view.review_session, work)
    window.activateWindow()
    worklist.table.setFocus()
    qtbot.waitUntil(worklist.table.hasFocus, timeout=RESULT_TIMEOUT_MS)
    window.commands.review.trigger()  # Ctrl+R on the worklist's selected (first) row
    qtbot.waitUntil(lambda: worklist.total == 0 or bool(errors), timeout=RESULT_TIMEOUT_MS)
    assert errors == []
    assert [s[0] for s in seen] == order and all(s[1] and s[2] for s in seen)
    confirmed = {i: window.history.get(i).confirmed_label for i in order}
    assert list(confirmed.values()) == ["Normal", "COVID-19", "Viral_Pneumonia"]

    # One report: the CD's reading on screen, printed (to a PDF printer) and saved as PDF.
    cd_reading = next(r for r in window.history.search() if r.patient_id == "CD-0007")
    window.open_reading(cd_reading.id)
    qtbot.waitUntil(lambda: window.current_reading is not None
                    and window.current_reading.id == cd_reading.id, timeout=RESULT_TIMEOUT_MS)
    target = tmp_path / "report.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.commands.save_report.trigger()
    qtbot.waitUntil(target.exists, timeout=RESULT_TIMEOUT_MS)
    printed = tmp_path / "printed.pdf"

    def fake_print_dialog(self) -> int:
        from PySide6.QtPrintSupport import QPrinter

        self.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        self.printer().setOutputFileName(str(printed))
        return QDialog.DialogCode.Accepted

    from PySide6.QtPrintSupport import QPrintDialog

    monkeypatch.setattr(QPrintDialog, "exec", fake_print_dialog)
    window.commands.print_report.trigger()
    qtbot.waitUntil(lambda: printed.exists() and printed.stat().st_size > 1000,
                    timeout=RESULT_TIMEOUT_MS)
    for paper in (pdf_text(target), pdf_text(printed)):
        assert len(paper) == 1
        on_paper = squash(paper[0])
        panel = window.prediction_panel
        screen = [panel.banner.text(), panel.finding.text(), *window.patient_panel.values(),
                  *panel.details.text().split("\n")[1:], "Kibera Community Clinic"]
        screen += [bar.text() for bar in panel.bar_widgets.values()]
        screen = [s.replace("\u2011", "-") for s in screen if s and not s.startswith("Saved reading")]
        # The details' lines are "Label: value"; on paper label and value stand apart.
        missing = [s for s in screen if squash(s.split(": ", 1)[-1]) not in on_paper]
        assert missing == [], missing
        for fact in ("41 years", "Female", "Mobile X-ray unit 3", "ACME DX-1", "Normal"):
            assert squash(fact) in on_paper, fact

    # The month's summary as PDF.
    summary = SummaryDialog(window.ops, window.paperwork.reports, str(tmp_path), window)
    qtbot.addWidget(summary)
    qtbot.waitUntil(lambda: summary.summary is not None, timeout=RESULT_TIMEOUT_MS)
    assert summary.summary.total == 3 and summary.summary.reviewed == 3
    month = tmp_path / "month.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(month), "")))
    summary.pdf_button.click()
    text = squash(pdf_text(month)[0])
    assert squash("Reviewed (confirmed finding recorded)3") in text
    assert squash(f"From {date.today():%b} ") in text or "From" in text
    assert month.stat().st_mode & 0o077 == 0 and target.stat().st_mode & 0o077 == 0


def test_reports_of_the_selected_rows_make_one_pdf(qtbot, make_window, monkeypatch, images,
                                                   tmp_path: Path) -> None:
    from PySide6.QtCore import QItemSelectionModel

    window = make_window()
    for name in ("light", "grey", "white"):
        window.open_file(str(images[name]))
        qtbot.waitUntil(lambda: window.current_reading is not None and not window.controller.busy
                        and not window.ops.busy, timeout=RESULT_TIMEOUT_MS)
    view = window.history_view
    settle(qtbot, view)
    view.table.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (0, 2):
        view.table.selectionModel().select(view.model.index(row, 0), flags)
    chosen = view.selected_ids()
    assert len(chosen) == 2
    target = tmp_path / "two.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    window.commands.report_selected.trigger()
    qtbot.waitUntil(target.exists, timeout=RESULT_TIMEOUT_MS)
    pages = pdf_text(target)
    assert [f"Reading#{i}" in squash(p) for i, p in zip(chosen, pages, strict=True)] == [True, True]
