"""Screenshots of issue 15's screens, taken by ``python -m tests.ui.screenshots`` at the end of
its run (same app, same X server), at 1366x768 and 1024x768:

  clinic_offline_*          the window working offline (the server cannot be reached): the
                            reading kept on this PC, the indicator in the status bar, and the
                            notice that readings use the site calibration as last known from
                            the server (issue 12)
  clinic_offline_worklist_* the same window's worklist: the readings kept on this PC (issue 11)
  clinic_database_*         Settings > Shared clinic database
  clinic_sign_in_*          the sign-in dialog with staff accounts on
  clinic_audit_*            History > Audit trail as a supervisor sees it
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

SIZES = ((1366, 768), (1024, 768))


def shoot_clinic(app, out: Path, model_dir: Path, sample: Path) -> None:
    from cxr_desktop.core.storage.accounts import HEALTH_WORKER, SUPERVISOR
    from cxr_desktop.core.storage.sqlite import SqliteHistory
    from cxr_desktop.service.accounts import StaffSession
    from cxr_desktop.ui.app import create_main_window
    from cxr_desktop.ui.audit_dialog import AuditDialog
    from cxr_desktop.ui.clinic_database_dialog import ClinicDatabaseDialog
    from tests.pg_server import free_port

    def settle(ms: int = 400) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait(predicate, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not predicate():
            app.processEvents()
            time.sleep(0.01)
        settle()

    def save(widget, name: str) -> None:
        settle()
        pixmap = widget.grab()
        path = out / f"{name}.png"
        pixmap.save(str(path))
        print(f"saved {path} ({pixmap.width()}x{pixmap.height()})")

    root = Path(tempfile.mkdtemp(prefix="cxr-clinic-shots-"))
    saved_env = {k: os.environ.get(k) for k in ("CXR_DESKTOP_HOME", "CXR_DESKTOP_DATABASE")}
    try:
        # 1. working offline: the clinic server's address, with nothing listening there
        os.environ["CXR_DESKTOP_HOME"] = str(root / "xray-room")
        os.environ["CXR_DESKTOP_DATABASE"] = (f"postgresql://cxr_app@cxr-server.local:"
                                              f"{free_port()}/cxr?host=127.0.0.1")
        known_before(root / "xray-room", os.environ["CXR_DESKTOP_DATABASE"], model_dir)
        window = create_main_window(model_dir=model_dir)
        window.show()
        window.patient_panel.id_edit.setText("CL-3001")
        window.open_file(str(sample))
        wait(lambda: window.current_reading is not None and not window.controller.busy)
        wait(lambda: window.clinic.offline_label.isVisible(), 10)
        for width, height in SIZES:
            window.resize(width, height)
            save(window, f"clinic_offline_{width}x{height}")
        window.paperwork.show_worklist()  # issue 11: the worklist lists this PC's queue only
        wait(lambda: window.paperwork.worklist.total == 1, 10)
        for width, height in SIZES:
            window.resize(width, height)
            save(window, f"clinic_offline_worklist_{width}x{height}")
        dialog = ClinicDatabaseDialog(window.runner, window)
        dialog.enabled.setChecked(True)
        dialog.host.setText("cxr-server.local")
        dialog.ca_file.setText("/etc/cxr-desktop/clinic-ca.crt")
        dialog.result.setText("Connected to postgresql://cxr_app@cxr-server.local:5432/cxr"
                              "?sslmode=verify-full: the clinic history is there (schema "
                              "version 3).")
        for width, height in SIZES:
            dialog.resize(min(560, width - 40), min(480, height - 40))
            save(dialog, f"clinic_database_{width}x{height}")
        dialog.close()
        window.close()

        # 2. staff accounts on (the history on this PC)
        home = root / "office"
        os.environ["CXR_DESKTOP_HOME"] = str(home)
        os.environ.pop("CXR_DESKTOP_DATABASE", None)
        home.mkdir(parents=True)
        with SqliteHistory(home / "history.sqlite3") as history:
            session = StaffSession(history, workstation="office-pc")
            session.add_account("kofi", SUPERVISOR, "9999")
            session.sign_in("kofi", "9999")
            session.add_account("ama", HEALTH_WORKER, "1111")
            session.sign_out()
        window = create_main_window(model_dir=model_dir)
        window.show()
        wait(lambda: window.clinic.dialog is not None, 20)
        window.clinic.dialog.name.setText("ama")
        for width, height in SIZES:
            window.resize(width, height)
            save(window.clinic.dialog, f"clinic_sign_in_{width}x{height}")
        window.clinic.dialog.name.setText("kofi")
        window.clinic.dialog.pin.setText("9999")
        window.clinic.dialog.try_sign_in()
        wait(lambda: not window.clinic.locked, 20)
        window.open_file(str(sample))
        wait(lambda: window.current_reading is not None and not window.controller.busy)
        audit = AuditDialog(window.ops, window)
        wait(lambda: audit.table.rowCount() > 0, 10)
        for width, height in SIZES:
            audit.resize(min(900, width - 40), min(520, height - 60))
            save(audit, f"clinic_audit_{width}x{height}")
        audit.close()
        window.close()
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def known_before(home: Path, url: str, model_dir: Path) -> None:
    """What this PC kept when it last reached the server (issue 12): site calibration #4."""
    from cxr_desktop.core.model_card import load_model_card
    from cxr_desktop.core.site_profile import SiteProfile
    from cxr_desktop.core.storage.postgresql.address import parse_address
    from cxr_desktop.private_files import make_private_dir
    from cxr_desktop.service.site_profile_cache import SiteProfileCache

    card = load_model_card(model_dir)
    make_private_dir(home)
    SiteProfileCache(home / "outbox-site-profile.json", parse_address(url).location()).remember(
        SiteProfile(4, "2026-11-02T09:30:00+00:00", card.name, card.version, card.sha256, 1.1,
                    {}, card.uncertain_below, 640, "Dr. Kofi Boateng"))
