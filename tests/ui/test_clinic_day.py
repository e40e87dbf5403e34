"""Issue 15's "done when", tried as a clinic would: two app windows with separate
CXR_DESKTOP_HOME (the X-ray room and the clinician's office) share one PostgreSQL server that
the test starts. Staff sign in; a reading saved in the X-ray room is reviewed in the office; a
review made on the stale copy is refused and the newer one shown; the server is stopped in the
middle of the day and started again: the readings made meanwhile are kept in the room and sent,
nothing lost or doubled; a health worker cannot delete; the audit trail shows every step.

Issue 11: the office finds the room's reading in its worklist and reviews it in the Review
dialog (the review session) while the room has the same reading open in its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.service.accounts import StaffSession
from cxr_desktop.ui.app import create_main_window
from cxr_desktop.ui.review_dialog import ReviewDialog
from tests.pg_server import own_server
from tests.ui.conftest import RESULT_TIMEOUT_MS, settle, wait_for_reading


@pytest.fixture(scope="module")
def day_server():
    yield from own_server()


def open_window(qtbot, monkeypatch, home: Path, model_dir: Path, windows: list):
    monkeypatch.setenv("CXR_DESKTOP_HOME", str(home))  # read when the window is made
    window = create_main_window(model_dir=model_dir)
    qtbot.addWidget(window)
    window.show()
    windows.append(window)
    return window


def sign_in(qtbot, window, name: str, pin: str) -> None:
    qtbot.waitUntil(lambda: window.clinic.dialog is not None and window.clinic.locked,
                    timeout=RESULT_TIMEOUT_MS)
    assert not window.history_dock.isVisible()  # nothing shown before signing in
    dialog = window.clinic.dialog
    dialog.name.setText(name)
    dialog.pin.setText(pin)
    dialog.try_sign_in()
    qtbot.waitUntil(lambda: not window.clinic.locked, timeout=RESULT_TIMEOUT_MS)
    settle(qtbot, window.history_view)


def fill(dialog: ReviewDialog, note: str, label: str) -> None:
    dialog.note_edit.setPlainText(note)
    dialog.label_combo.setCurrentIndex(dialog.label_combo.findData(label))


def test_a_day_at_the_clinic(qtbot, monkeypatch, tmp_path: Path, day_server, tiny_model_dir: Path,
                             images: dict[str, Path], dialogs_log) -> None:
    url = day_server.url(day_server.new_database("clinic"))
    with PostgresHistory(url) as server:  # the supervisor sets up the accounts once
        session = StaffSession(server, workstation="server")
        session.add_account("kofi", SUPERVISOR, "9999")
        session.sign_in("kofi", "9999")
        session.add_account("ama", HEALTH_WORKER, "1111")
        session.add_account("efua", HEALTH_WORKER, "2222")
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    windows: list = []
    try:
        room = open_window(qtbot, monkeypatch, tmp_path / "xray-room", tiny_model_dir, windows)
        office = open_window(qtbot, monkeypatch, tmp_path / "office", tiny_model_dir, windows)
        sign_in(qtbot, room, "ama", "1111")
        sign_in(qtbot, office, "efua", "2222")

        # 1. the X-ray room reads an image; it is saved on the server
        room.open_file(str(images["light"]))
        wait_for_reading(qtbot, room)
        first = room.current_reading
        assert first.id == 1 and first.uid

        # 2. the room opens the Review dialog on its reading (version 1); while it is open, the
        # office finds the reading in its worklist and reviews it there (version 2)
        office.paperwork.worklist.refresh()
        qtbot.waitUntil(lambda: [r.id for r in office.paperwork.worklist.readings] == [1],
                        timeout=RESULT_TIMEOUT_MS)
        looked_at: list[tuple[str, int]] = []

        def review(dialog: ReviewDialog) -> int:
            if dialog.parent() is office.history_view:
                looked_at.append(("office", dialog.reading.version))
                fill(dialog, "Refer for PCR test", "COVID-19")
                return ReviewDialog.DialogCode.Accepted
            looked_at.append(("room", dialog.reading.version))
            office.paperwork.worklist.review_row(0)
            qtbot.waitUntil(lambda: office.history_view.model._rows[0].version == 2,
                            timeout=RESULT_TIMEOUT_MS)
            fill(dialog, "Looks normal to me", "Normal")
            return ReviewDialog.DialogCode.Accepted

        monkeypatch.setattr(ReviewDialog, "exec", review)
        office.history_view.refresh()
        settle(qtbot, office.history_view)
        room.history_view.review(1)

        # 3. the room saves what it typed on version 1: refused, the office's review shown
        qtbot.waitUntil(lambda: any("Someone else reviewed" in t for t in dialogs_log.texts()),
                        timeout=RESULT_TIMEOUT_MS)
        assert looked_at == [("room", 1), ("office", 1)]
        qtbot.waitUntil(lambda: room.current_reading.note == "Refer for PCR test",
                        timeout=RESULT_TIMEOUT_MS)
        qtbot.waitUntil(lambda: office.paperwork.worklist.total == 0, timeout=RESULT_TIMEOUT_MS)

        # 4. the server stops in the middle of the day; the room goes on working
        day_server.stop()
        room.open_file(str(images["grey"]))
        qtbot.waitUntil(lambda: room.current_reading is not None and room.current_reading.id < 0
                        and not room.controller.busy, timeout=RESULT_TIMEOUT_MS)
        room.open_file(str(images["white"]))
        qtbot.waitUntil(lambda: room.history.status().waiting == 2 and not room.controller.busy,
                        timeout=RESULT_TIMEOUT_MS)
        room.clinic.tick()
        assert room.clinic.offline_label.isVisible()
        assert room.clinic.offline_label.text() == "Working offline: 2 readings waiting."
        assert "will be sent when it is back" in room.clinic.offline_label.toolTip()
        qtbot.waitUntil(lambda: "Kept on this PC" in room.prediction_panel.details.text(),
                        timeout=RESULT_TIMEOUT_MS)
        # issue 11: offline, the room's worklist lists the readings kept there, and says so
        worklist = room.paperwork.worklist
        worklist.refresh()
        qtbot.waitUntil(lambda: worklist.total == 2, timeout=RESULT_TIMEOUT_MS)
        assert [r.id < 0 for r in worklist.readings] == [True, True]
        assert [r.out_of_distribution for r in worklist.readings] == [False, True]  # referred first
        assert worklist.count_label.text().startswith("Working offline: 2 readings kept on this PC")

        # 5. the server is back: the room sends what it kept, each reading once
        day_server.start()
        qtbot.waitUntil(lambda: room.history.status().online and room.history.status().waiting == 0,
                        timeout=40_000)
        room.clinic.tick()
        assert not room.clinic.offline_label.isVisible()
        worklist.refresh()  # the server's list again: the readings sent, by their server ids
        qtbot.waitUntil(lambda: worklist.total == 2 and all(r.id > 0 for r in worklist.readings),
                        timeout=RESULT_TIMEOUT_MS)
        assert worklist.count_label.text() == "2 readings to review"
        with PostgresHistory(url) as server:
            stored = server.search(server_query())
            assert len(stored) == 3 and len({r.uid for r in stored}) == 3
            assert server.get(1).note == "Refer for PCR test" and server.get(1).version == 2

        # 6. a health worker cannot delete (once the office, too, knows the server is back: if
        # its sender tried during the outage, it waits for its next attempt)
        qtbot.waitUntil(lambda: office.history.status().online, timeout=40_000)
        office.history_view.refresh()
        settle(qtbot, office.history_view)
        office.history_view.table.selectRow(0)
        office.history_view.delete_selected()
        qtbot.waitUntil(lambda: any("Only a supervisor can delete" in t
                                    for t in dialogs_log.texts()), timeout=RESULT_TIMEOUT_MS)
        with PostgresHistory(url) as server:
            assert server.count() == 3

        # 7. the audit trail shows every step, with the readings' ids on the server
        with PostgresHistory(url) as server:
            trail = server.search_audit(AuditQuery(descending=False, limit=1000))
            ids = {r.uid: r.id for r in server.search(server_query())}
        steps = [(e.actor, e.action) for e in trail]
        assert steps[:5] == [("", "account"), ("kofi", "sign_in"), ("kofi", "account"),
                             ("kofi", "account"), ("ama", "sign_in")]
        saves = [e for e in trail if e.action == "save"]
        assert [e.actor for e in saves] == ["ama", "ama", "ama"]
        assert sorted(e.reading_id for e in saves) == sorted(ids.values())  # offline ones mapped
        assert ("efua", "view") in steps and ("efua", "review") in steps
        assert ("ama", "stale_review") in steps
        denied = [e for e in trail if e.action == "denied"]
        assert [(e.actor, e.detail) for e in denied] == [("efua", "delete")]
        assert {e.workstation for e in trail if e.actor == "ama"} != {""}
    finally:
        if not day_server.running():
            day_server.start()
        for window in windows:
            if not window.closed:
                window.close()


def server_query():
    from cxr_desktop.core.storage import ReadingQuery

    return ReadingQuery(descending=False)

