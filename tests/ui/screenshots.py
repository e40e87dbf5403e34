"""Run the real app in an X server (Xvfb) and save screenshots of its main states.

    python -m tests.ui.screenshots [--out docs/screenshots] [--model DIR]

Without ``$DISPLAY`` the script restarts itself under ``xvfb-run -a``. It uses a throw-away
CXR_DESKTOP_HOME, the shipped model when assets/model has one (else the tiny test model, whose
answers are meaningless but exercise every state), and the sample X-rays of the shared data
folder (never copied into the repository). Screenshots: empty window, a COVID-19 sample with its
heatmap, the history with several readings, the out-of-distribution warning, an uncertain result;
then the quality notice, the quality view and the site calibration dialog of a simulated clinic;
Restore from backup… and the message after a damaged history was repaired.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SIZE = (1440, 900)


def _reexec_under_xvfb() -> int:
    if not shutil.which("xvfb-run"):
        print("no $DISPLAY and no xvfb-run: install Xvfb", file=sys.stderr)
        return 2
    command = ["xvfb-run", "-a", "-s", f"-screen 0 {SIZE[0]}x{SIZE[1]}x24",
               sys.executable, "-m", "tests.ui.screenshots", *sys.argv[1:]]
    env = dict(os.environ, CXR_SCREENSHOTS_CHILD="1")
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.call(command, cwd=REPO, env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("CXR_SCREENSHOTS_CHILD"):
        return _reexec_under_xvfb()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    home = Path(tempfile.mkdtemp(prefix="cxr-shots-"))
    os.environ["CXR_DESKTOP_HOME"] = str(home / "home")
    model_dir = args.model
    if model_dir is None:
        shipped = REPO / "assets" / "model"
        if (shipped / "model_card.json").is_file():
            model_dir = shipped
        else:
            sys.path.insert(0, str(REPO))
            from tests.helpers import build_tiny_model

            model_dir = build_tiny_model(home / "tiny_model")
            print("note: the shipped model is not there yet; using the tiny test model")
    try:
        return _shoot(args.out, model_dir)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _shoot(out: Path, model_dir: Path) -> int:
    import numpy as np
    from PIL import Image, ImageDraw

    from cxr_desktop import paths
    from cxr_desktop.ui.app import create_application, create_main_window
    from cxr_desktop.ui.review_dialog import ReviewDialog

    app = create_application()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontInfo

    print(f"platform {app.platformName()}, font {QFontInfo(app.font()).family()!r}")
    samples = paths.shared_data_dir() / "samples"
    covid = sorted((samples / "COVID-19").glob("*"))
    normal = sorted((samples / "Normal").glob("*"))
    viral = sorted((samples / "Viral_Pneumonia").glob("*"))
    if not covid:
        print(f"no samples under {samples}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    window = create_main_window(model_dir=model_dir)
    assert window is not None
    window.resize(*SIZE)
    window.show()
    window.raise_()

    def settle(ms: int = 300) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def wait_result(timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents()
            if window.current_reading is not None and not window.controller.busy:
                settle()
                return
            time.sleep(0.01)
        raise TimeoutError("no result")

    def shot(name: str) -> None:
        settle()
        screen = window.screen()
        pixmap = screen.grabWindow(window.winId()) if app.platformName() == "xcb" else window.grab()
        if pixmap.isNull() or pixmap.width() < 100:
            pixmap = window.grab()
        path = out / f"{name}.png"
        pixmap.save(str(path))
        print(f"saved {path} ({pixmap.width()}x{pixmap.height()})")

    def open_with_patient(path: Path, pid: str, name: str) -> None:
        window.patient_panel.clear()
        window.patient_panel.id_edit.setText(pid)
        window.patient_panel.name_edit.setText(name)
        window.open_file(str(path))
        wait_result()

    settle(600)
    shot("01_empty")
    open_with_patient(covid[0], "CL-1001", "Example, Amina")
    shot("02_covid_heatmap")

    tmp = Path(tempfile.mkdtemp(prefix="cxr-shot-img-"))
    rng = np.random.default_rng(3)
    for i, path in enumerate([*normal[:2], *viral[:2], *covid[1:3]]):
        open_with_patient(path, f"CL-{1002 + i}", ["Example, Ben", "Sample, Chen", "Test, Dara",
                                                   "Demo, Eli", "Mock, Femi", "Case, Gita"][i])
    reading_id = window.current_reading.id

    def fake_review(dialog: ReviewDialog) -> int:
        dialog.note_edit.setPlainText("Reviewed by Dr. on call: refer for PCR test")
        dialog.label_combo.setCurrentIndex(dialog.label_combo.findData("COVID-19"))
        return ReviewDialog.DialogCode.Accepted

    ReviewDialog.exec = fake_review  # type: ignore[method-assign]
    window.history_view.review(reading_id)
    window.history_dock.raise_()
    window.resizeDocks([window.history_dock], [460], Qt.Orientation.Vertical)
    shot("03_history")
    window.resizeDocks([window.history_dock], [250], Qt.Orientation.Vertical)

    # Not a chest X-ray: a drawing of a house for a real model; the tiny test model only calls
    # saturated images out of distribution, so it gets a white page.
    picture = tmp / "not_an_xray.png"
    if window.classifier is not None and window.classifier.card.name == "tiny-test-model":
        Image.fromarray(np.full((600, 500), 255, np.uint8)).save(picture)
    else:
        drawing = Image.new("L", (900, 700), 235)
        draw = ImageDraw.Draw(drawing)
        draw.rectangle((250, 330, 650, 620), fill=90)
        draw.polygon([(220, 340), (450, 130), (680, 340)], fill=40)
        draw.rectangle((410, 470, 490, 620), fill=200)
        noisy = np.clip(np.asarray(drawing, np.float32) + rng.normal(0, 4, (700, 900)), 0, 255)
        Image.fromarray(noisy.astype(np.uint8)).save(picture)
    open_with_patient(picture, "CL-2001", "")
    shot("04_not_a_chest_xray")

    # A DICOM whose header rules it out, although its pixels are a real chest X-ray.
    from tests.core import dicom_factory as dcm

    with Image.open(normal[0]) as im:
        gray = np.asarray(im.convert("L"))
    lateral = dcm.write(tmp / "lateral.dcm", dcm.make_dataset(
        gray, BodyPartExamined="CHEST", ViewPosition="LL", PatientID="CL-2003",
        PatientName="Lateral^Example"))
    window.patient_panel.clear()
    window.open_file(str(lateral))
    wait_result()
    shot("06_dicom_header_lateral")

    for path in [*viral, *normal, *covid]:  # the first sample the model is unsure about
        open_with_patient(path, "CL-2002", "")
        if window.prediction_panel.result.uncertain:
            shot("05_uncertain")
            break
    _shoot_backups(window, app, out, settle)
    window.close()
    shutil.rmtree(tmp, ignore_errors=True)
    from tests.ui.screenshots_clinic import shoot_clinic  # issue 15's screens

    shoot_clinic(app, out, model_dir, normal[0])

    from tests.ui.screenshots_quality import shoot_quality  # issue 12: quality view and notice

    shoot_quality(app, out, model_dir, settle)
    return 0


def _shoot_backups(window, app, out: Path, settle) -> None:
    """History > Restore from backup… and the message after a repair, at 1366x768 and 1024x768."""
    from PySide6.QtWidgets import QMessageBox

    from cxr_desktop.core.storage.sqlite.recovery import DAMAGED_KEPT_AS, DAMAGED_SET_ASIDE
    from cxr_desktop.i18n import _
    from cxr_desktop.ui.plain import rich_text

    window.history.backup()
    window.history.backup(reason="daily")
    for width, height in ((1366, 768), (1024, 768)):
        window.resize(width, height)
        settle(300)
        dialog = window.safety.open_restore_dialog()
        end = time.monotonic() + 30
        while dialog.busy and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        settle(300)
        path = out / f"07_restore_from_backup_{width}x{height}.png"
        dialog.grab().save(str(path))
        print(f"saved {path}")
        dialog.close()
    box = QMessageBox(QMessageBox.Icon.Warning, _("Reading history"), rich_text(" ".join((
        _(DAMAGED_SET_ASIDE), "The new history holds 1,204 readings.",
        "3 readings could not be read and are not in the new history.",
        _(DAMAGED_KEPT_AS).format(file="history.sqlite3.damaged-20261201-093012")))), parent=window)
    box.show()
    settle(300)
    box.grab().save(str(out / "08_damaged_history_message.png"))
    print(f"saved {out / '08_damaged_history_message.png'}")
    box.close()
    window.resize(*SIZE)


if __name__ == "__main__":
    raise SystemExit(main())
