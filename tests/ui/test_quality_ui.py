"""Issue 12 in the window: the drift notice, the quality view (figures, charts saved as PNG and
PDF) and the site calibration dialog (fit, sign-off, the next reading uses it, rollback)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from cxr_desktop.core.model_card import load_model_card
from cxr_desktop.core.site_profile import SiteProfile
from cxr_desktop.core.storage.sqlite import SqliteHistory as History
from tests.service.synthetic import site_readings
from tests.ui.conftest import RESULT_TIMEOUT_MS, wait_for_reading


@pytest.fixture
def banded_model(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """The tiny model with a metrics.json, so the quality view has an expected band."""
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    sha = load_model_card(folder).sha256
    (folder / "metrics.json").write_text(json.dumps({
        "model": {"sha256": sha},
        "val": {"n": 1698, "accuracy": 0.98, "ood_accepted_rate": 0.998,
                "referral": {"referral_rate": 0.11}},
    }))
    return folder


def fill(home: Path, model_dir: Path, n: int = 700, **kwargs) -> str:
    sha = load_model_card(model_dir).sha256
    with History(home / "history.sqlite3") as store:
        for r in site_readings(n, sha=sha, **kwargs):
            store.add(replace(r, model_name="tiny-test-model", model_version="0.0.1"))
    return sha


def wait_drift(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.quality.report is not None, timeout=RESULT_TIMEOUT_MS)


def test_the_notice_appears_for_a_clinic_outside_the_band(qtbot, make_window, app_home,
                                                          banded_model) -> None:
    fill(app_home, banded_model, sharpen=1.0, bias=(7.0, 0.0, 0.0))  # Normals called COVID-19
    window = make_window(banded_model)
    wait_drift(qtbot, window)
    assert window.quality.report.alarm
    notice = window.quality.notice
    assert notice.isVisible() and "Quality notice" in notice.label.full_text
    assert not notice.toggleViewAction().isVisible()  # it cannot be hidden from a menu
    with qtbot.waitSignal(notice.button.clicked, timeout=1000):
        notice.button.click()
    view = window.quality.quality_view
    with qtbot.waitSignal(view.loaded, timeout=RESULT_TIMEOUT_MS):
        view.refresh()
    assert view.figures.rowCount() >= 8 and view.confusion.rowCount() >= 4
    assert view.reliability.data is not None and len(view.trends[0].data.points) == 1
    view.close()


def test_a_clinic_within_the_band_gets_no_notice(qtbot, make_window, app_home,
                                                 banded_model) -> None:
    fill(app_home, banded_model, threshold=0.0, sharpen=1.0, bias=(0, 0, 0), separation=9.0)
    window = make_window(banded_model)
    wait_drift(qtbot, window)
    assert not window.quality.report.alarm and not window.quality.notice.isVisible()


def test_charts_are_saved_as_png_and_pdf(qtbot, make_window, app_home, banded_model,
                                         tmp_path) -> None:
    fill(app_home, banded_model, n=120)
    window = make_window(banded_model)
    window.quality.open_quality()
    view = window.quality.quality_view
    qtbot.waitUntil(lambda: view.result is not None, timeout=RESULT_TIMEOUT_MS)
    view.save_charts(str(tmp_path / "q.png"))
    view.save_charts(str(tmp_path / "q"))  # no suffix: a PDF
    image = QImage(str(tmp_path / "q.png"))
    assert image.width() == 1600 and image.height() == 1200
    pdf = (tmp_path / "q.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    assert (tmp_path / "q.png").stat().st_mode & 0o077 == 0  # private, like every user file
    view.close()


def test_fit_sign_off_next_reading_and_roll_back(qtbot, make_window, app_home, banded_model,
                                                 images, dialogs_log) -> None:
    fill(app_home, banded_model)
    window = make_window(banded_model)
    wait_drift(qtbot, window)
    window.quality.open_calibration()
    dialog = window.quality.calibration_dialog
    with qtbot.waitSignal(dialog.fitted, timeout=RESULT_TIMEOUT_MS):
        dialog.fit()
    assert dialog.proposal.can_apply and dialog.thresholds.rowCount() > 5
    assert not dialog.apply_button.isEnabled()  # no name yet
    dialog.name.setText("Dr. Ama Mensah")
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=RESULT_TIMEOUT_MS):
        dialog.apply()  # the confirmation is answered yes by the test's dialog log
    assert any("signed off by Dr. Ama Mensah" in t for t in dialogs_log.texts("question"))
    profile = window.quality.state.in_use
    assert profile is not None and profile.signed_by == "Dr. Ama Mensah"
    window.open_file(str(images["light"]))
    wait_for_reading(qtbot, window)
    assert window.current_reading.site_profile_id == profile.id
    qtbot.waitUntil(lambda: dialog.rollback_button.isEnabled(), timeout=RESULT_TIMEOUT_MS)
    with qtbot.waitSignal(dialog.changed, timeout=RESULT_TIMEOUT_MS):
        dialog.rollback()
    assert window.quality.state.in_use is None
    previous = window.current_reading.id
    window.open_file(str(images["light"]))
    wait_for_reading(qtbot, window, previous)
    assert window.current_reading.site_profile_id is None
    dialog.close()


def test_a_profile_for_another_model_shows_the_recalibrate_notice(qtbot, make_window, app_home,
                                                                  banded_model, images) -> None:
    with History(app_home / "history.sqlite3") as store:
        store.add_site_profile(SiteProfile(None, "2026-03-01T00:00:00+00:00", "old", "0.9",
                                           "ab" * 32, 2.0, {}, 0.5, 700, "A"))
    window = make_window(banded_model)
    wait_drift(qtbot, window)
    assert window.quality.state.refused
    assert "must recalibrate" in window.quality.notice.label.full_text
    window.open_file(str(images["light"]))
    wait_for_reading(qtbot, window)
    assert window.current_reading.site_profile_id is None  # refused: the model's own answer


def test_without_a_history_the_quality_commands_are_off(qtbot, make_window, app_home,
                                                        monkeypatch) -> None:
    from cxr_desktop.core.errors import StorageError
    from cxr_desktop.ui import app

    monkeypatch.setattr(app, "open_store", lambda path=None: (_ for _ in ()).throw(
        StorageError("no history")))
    window = make_window()
    assert not window.commands.quality.isEnabled()
    assert not window.commands.site_calibration.isEnabled()
