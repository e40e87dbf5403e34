"""Issue 12 in the window on a clinic server (issue 15), tried as a clinic would: the supervisor
in the office looks at the quality view and signs a site calibration off; the X-ray room's
health worker cannot calibrate nor see the quality view, but her readings use the calibration;
the server stops: readings go on with the calibration as last known (the notice says so), a
rollback waits for the server (and says so); the server is back: the kept readings reach it with
their calibration and the window uses the server's answer again. The audit trail has it all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cxr_desktop.core.model_card import load_model_card
from cxr_desktop.core.storage import ReadingQuery
from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
from cxr_desktop.core.storage.audit import AuditQuery
from cxr_desktop.core.storage.postgresql import PostgresHistory
from cxr_desktop.service.accounts import StaffSession
from cxr_desktop.ui import quality_feature
from tests.pg_server import own_server
from tests.service.synthetic import site_readings
from tests.ui.conftest import RESULT_TIMEOUT_MS, wait_for_reading
from tests.ui.test_clinic_day import open_window, sign_in


@pytest.fixture(scope="module")
def quality_server():
    yield from own_server()


def test_site_calibration_on_a_clinic_server_through_an_outage(
        qtbot, monkeypatch, tmp_path: Path, quality_server, tiny_model_dir: Path,
        images: dict[str, Path], dialogs_log) -> None:
    monkeypatch.setattr(quality_feature, "RETRY_MS", 1000)  # ask again sooner while offline
    url = quality_server.url(quality_server.new_database("quality"))
    sha = load_model_card(tiny_model_dir).sha256
    with PostgresHistory(url) as server:  # a month of confirmed readings, and the staff
        for r in site_readings(700, seed=21, sha=sha):
            server.add(replace(r, model_name="tiny-test-model", model_version="0.0.1"))
        session = StaffSession(server, workstation="server")
        session.add_account("kofi", SUPERVISOR, "9999")
        session.sign_in("kofi", "9999")
        session.add_account("ama", HEALTH_WORKER, "1111")
    monkeypatch.setenv("CXR_DESKTOP_DATABASE", url)
    windows: list = []
    try:
        office = open_window(qtbot, monkeypatch, tmp_path / "office", tiny_model_dir, windows)
        room = open_window(qtbot, monkeypatch, tmp_path / "xray-room", tiny_model_dir, windows)
        sign_in(qtbot, office, "kofi", "9999")
        sign_in(qtbot, room, "ama", "1111")

        # 1. the supervisor's quality view and calibration, on the server's readings
        office.quality.open_quality()
        view = office.quality.quality_view
        qtbot.waitUntil(lambda: view.result is not None, timeout=RESULT_TIMEOUT_MS)
        assert view.result.report.n == 700
        view.close()
        office.quality.open_calibration()
        dialog = office.quality.calibration_dialog
        with qtbot.waitSignal(dialog.fitted, timeout=RESULT_TIMEOUT_MS):
            dialog.fit()
        dialog.name.setText("Kofi Boateng")
        with qtbot.waitSignal(dialog.changed, timeout=RESULT_TIMEOUT_MS):
            dialog.apply()
        profile = office.quality.state.in_use
        assert profile is not None and profile.signed_by == "Kofi Boateng"

        # 2. the health worker: no quality view, no calibration, but her readings use it
        room.quality.open_quality()
        qtbot.waitUntil(lambda: "Only a supervisor can see the quality view." in
                        room.quality.quality_view.headline.text(), timeout=RESULT_TIMEOUT_MS)
        room.quality.quality_view.close()
        room.quality.open_calibration()
        qtbot.waitUntil(lambda: "Only a supervisor can calibrate." in
                        room.quality.calibration_dialog.status.text(), timeout=RESULT_TIMEOUT_MS)
        room.quality.calibration_dialog.close()
        assert room.quality.state.in_use is None  # the room started before the sign-off,
        room.open_file(str(images["light"]))  # and its next reading asks the server again
        wait_for_reading(qtbot, room)
        assert room.current_reading.id > 0 and room.current_reading.site_profile_id == profile.id
        assert room.quality.state.in_use == profile

        # 3. the server stops: the room goes on with the calibration as last known
        quality_server.stop()
        room.open_file(str(images["white"]))
        qtbot.waitUntil(lambda: room.current_reading is not None and room.current_reading.id < 0
                        and not room.controller.busy, timeout=RESULT_TIMEOUT_MS)
        assert room.current_reading.site_profile_id == profile.id
        qtbot.waitUntil(lambda: room.quality.state.last_known_utc is not None,
                        timeout=RESULT_TIMEOUT_MS)
        notice = room.quality.notice
        assert notice.isVisible() and notice.label.full_text.startswith(
            f"Working offline: new readings use site calibration #{profile.id}, signed off by "
            "Kofi Boateng, as it was last known from the clinic database")
        # ... and the office cannot roll it back until the server is back
        with qtbot.waitSignal(dialog.changed, timeout=RESULT_TIMEOUT_MS, raising=False):
            dialog.rollback()
        qtbot.waitUntil(lambda: any("cannot be rolled back now" in t for t in dialogs_log.texts()),
                        timeout=RESULT_TIMEOUT_MS)
        dialog.close()

        # 4. the server is back: the kept reading arrives with its calibration, the notice goes
        quality_server.start()
        qtbot.waitUntil(lambda: room.history.status().waiting == 0
                        and room.quality.state.last_known_utc is None, timeout=40_000)
        assert not notice.isVisible()
        with PostgresHistory(url) as server:
            newest = server.search(ReadingQuery(limit=3))
            assert [r.site_profile_id for r in newest[:2]] == [profile.id, profile.id]
            assert server.active_site_profile() == profile
            trail = server.search_audit(AuditQuery(descending=False, limit=5000))
        steps = [(e.actor, e.action, e.detail) for e in trail
                 if e.action in ("quality", "calibrate", "denied")]
        assert [(a, x) for a, x, _d in steps] == [
            ("kofi", "quality"), ("kofi", "calibrate"), ("kofi", "calibrate"),
            ("ama", "denied"), ("ama", "denied")]
        assert steps[2][2].startswith(f"signed off site calibration #{profile.id} ")
        assert [d for a, x, d in steps if x == "denied"] == ["quality", "calibrate"]
    finally:
        if not quality_server.running():
            quality_server.start()
        for window in windows:
            if not window.closed:
                window.close()
