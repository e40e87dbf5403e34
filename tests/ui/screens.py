"""The real window on a real X server: does everything that matters fit on this screen?

    python -m tests.ui.screens --size 1024x768 [--scale 2] [--dpi 120] [--font-scale 1.25]
                               [--lang fr] [--shot out.png] [--no-wm]
    python -m tests.ui.screens --docs docs/screenshots     # every size and every language

Without $DISPLAY it restarts itself under ``xvfb-run`` with a screen of that size (times
``--scale``), and starts openbox (a real window manager: title bars, the window framed and
placed as on a desktop) when it is installed. It opens synthetic X-rays with the tiny test model
(an uncertain result: banner, finding, three bars), then prints one JSON line: the screen, the
window's frame, and every problem found. A problem is a key widget (the banner, the finding,
each probability bar, the review button, the history's buttons and count, the status bar) that
is hidden, not fully inside the screen's available area, or cut by a scroll area; or Ctrl+E not
reaching File > Export from the history's search box.

``--scale 2`` is HiDPI at 200 % (QT_SCALE_FACTOR); ``--dpi 120`` is a desktop's 125 % text
setting as X11 gives it (Xft.dpi: Qt scales the whole UI); ``--font-scale`` makes only the
fonts bigger (the "larger text" setting of other systems).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1366x768")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--dpi", type=int, default=0)
    parser.add_argument("--font-scale", type=float, default=1.0)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--shot", type=Path, default=None)
    parser.add_argument("--no-wm", action="store_true")
    parser.add_argument("--docs", type=Path, default=None)
    parser.add_argument("--review-shot", type=Path, default=None,
                        help="also a picture of the review dialog and of the export dialog")
    parser.add_argument("--real", action="store_true",
                        help="the shipped model and real sample X-rays (for the documentation)")
    return parser.parse_args()


def _under_xvfb(args: argparse.Namespace) -> int:
    if not shutil.which("xvfb-run"):
        print(json.dumps({"skipped": "no xvfb-run"}))
        return 3
    width, height = (int(v) for v in args.size.split("x"))
    screen = f"{round(width * args.scale)}x{round(height * args.scale)}x24"
    env = dict(os.environ, CXR_SCREENS_CHILD="1")
    env.pop("QT_QPA_PLATFORM", None)
    if args.scale != 1.0:
        env["QT_SCALE_FACTOR"] = str(args.scale)
    if args.dpi:
        env["QT_FONT_DPI"] = str(args.dpi)
    return subprocess.call(["xvfb-run", "-a", "-s", f"-screen 0 {screen} -dpi 96",
                            sys.executable, "-m", "tests.ui.screens", *sys.argv[1:]],
                           cwd=REPO, env=env)


def _docs(out: Path) -> int:
    """Screenshots for the documentation: each size in English, and 1366x768 in each language."""
    from cxr_desktop.i18n import SHIPPED_LANGUAGES

    out.mkdir(parents=True, exist_ok=True)
    runs = [(size, "en", f"screen_{size}.png") for size in ("1024x768", "1366x768", "1920x1080")]
    runs += [("1366x768", lang, f"language_{lang}.png") for lang in SHIPPED_LANGUAGES if lang != "en"]
    runs += [("1024x768", lang, f"language_{lang}_1024x768.png") for lang in ("fr", "ar")]
    code = 0
    for size, lang, name in runs:
        code |= subprocess.call([sys.executable, "-m", "tests.ui.screens", "--size", size,
                                 "--lang", lang, "--shot", str(out / name), "--real"], cwd=REPO)
    return code


def main() -> int:
    args = _parse()
    if args.docs is not None:
        return _docs(args.docs)
    if not os.environ.get("CXR_SCREENS_CHILD"):
        return _under_xvfb(args)
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    wm = None
    if not args.no_wm and shutil.which("openbox"):
        wm = subprocess.Popen(["openbox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.8)
    home = Path(tempfile.mkdtemp(prefix="cxr-screens-"))
    os.environ["CXR_DESKTOP_HOME"] = str(home / "home")
    try:
        report = _check(args, home)
    finally:
        if wm is not None:
            wm.terminate()
        shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(report))
    return 0


def _check(args: argparse.Namespace, home: Path) -> dict:
    sys.path.insert(0, str(REPO))
    import numpy as np
    from PIL import Image

    from cxr_desktop.ui.settings import AppSettings
    from tests.helpers import build_tiny_model

    settings_home = Path(os.environ["CXR_DESKTOP_HOME"])
    settings_home.mkdir(parents=True)
    from PySide6.QtWidgets import QApplication

    QApplication([sys.argv[0]])
    settings = AppSettings()
    settings.language = args.lang
    settings.sync()
    from cxr_desktop.ui.app import create_application, create_main_window

    app = create_application()
    if args.font_scale != 1.0:
        font = app.font()
        font.setPointSizeF(font.pointSizeF() * args.font_scale)
        app.setFont(font)
    from cxr_desktop import paths

    shipped = REPO / "assets" / "model"
    samples = sorted((paths.shared_data_dir() / "samples").glob("*/*.jp*g"))
    real = args.real and (shipped / "model_card.json").is_file() and samples
    model = shipped if real else build_tiny_model(home / "tiny")
    window = create_main_window(model_dir=model)
    window.show()
    window.raise_()
    window.activateWindow()

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def open_and_wait(path: Path) -> None:
        previous = window.current_reading.id if window.current_reading else None
        window.open_file(str(path))
        end = time.monotonic() + 60
        while time.monotonic() < end:
            app.processEvents()
            reading = window.current_reading
            if reading is not None and reading.id != previous and not window.controller.busy:
                break
            time.sleep(0.01)
        settle(0.3)

    settle(1.0)
    rng = np.random.default_rng(3)
    for i, (pid, value) in enumerate((("CL-1001", None), ("CL-1002", None), ("CL-1003", 128))):
        path = home / f"xray_{i}.png"
        pixels = np.full((600, 520), value, np.uint8) if value is not None else \
            np.clip(rng.normal(200, 14, (600, 520)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(path)
        if real:  # a Normal, a Viral Pneumonia and a COVID-19 sample, the last one on screen
            path = [s for s in samples if s.parent.name == ("Normal", "Viral_Pneumonia",
                                                            "COVID-19")[i]][0]
        window.patient_panel.clear()
        window.patient_panel.id_edit.setText(pid)
        open_and_wait(path)
    settle(0.8)
    report = {"size": args.size, "scale": args.scale, "dpi": args.dpi, "lang": args.lang,
              "font_scale": args.font_scale, "platform": app.platformName()}
    report.update(_measure(app, window))
    report["problems"] += _shortcut_problems(app, window, settle)
    if args.shot is not None:
        args.shot.parent.mkdir(parents=True, exist_ok=True)
        screen = window.screen()
        pixmap = screen.grabWindow(0)
        pixmap.save(str(args.shot))
        report["shot"] = str(args.shot)
    if args.review_shot is not None:
        report["dialogs"] = _dialog_shots(app, window, args.review_shot, settle)
    window.close()
    return report


def _dialog_shots(app, window, path: Path, settle) -> list[str]:
    """The review dialog and the CSV export's file dialog, as a person sees them."""
    from PySide6.QtWidgets import QFileDialog

    from cxr_desktop.ui.review_dialog import ReviewDialog

    path.parent.mkdir(parents=True, exist_ok=True)
    dialog = ReviewDialog(window.current_reading, window.labels, window)
    dialog.show()
    settle(0.6)
    dialog.grab().save(str(path))
    dialog.close()
    export = QFileDialog(window, "", "", "CSV (*.csv)")
    export.setOption(QFileDialog.Option.DontUseNativeDialog)
    export.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    export.show()
    settle(0.8)
    second = path.with_name(path.stem + "_export.png")
    export.grab().save(str(second))
    export.close()
    return [str(path), str(second)]


def _measure(app, window) -> dict:
    from PySide6.QtCore import QPoint, QRect

    screen = window.screen()
    available = screen.availableGeometry()
    panel, history = window.prediction_panel, window.history_view
    key = {"banner": panel.banner, "finding": panel.finding, "review button": panel.review_button,
           "disclaimer": panel.disclaimer, "status bar": window.statusBar(),
           "history count": history.count_label}
    for name, bar in panel.bar_widgets.items():
        key[f"bar {name}"] = bar
    for name in ("open_button", "review_button", "delete_button", "export_button"):
        key[f"history {name}"] = getattr(history, name)
    problems = []
    result = panel.result
    if result is not None and not (result.uncertain or result.out_of_distribution):
        del key["banner"]  # a confident result has no banner to show
    for name, widget in key.items():
        if not widget.isVisible():
            problems.append(f"{name}: hidden")
            continue
        rect = QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())
        if not available.contains(rect):
            problems.append(f"{name}: {rect.getRect()} not inside the screen {available.getRect()}")
        seen = widget.visibleRegion().boundingRect()
        if seen.size() != widget.size():
            problems.append(f"{name}: only {seen.width()}x{seen.height()} of "
                            f"{widget.width()}x{widget.height()} visible (scrolled or cut)")
    frame = window.frameGeometry()
    if not available.contains(frame):
        problems.append(f"window frame {frame.getRect()} not inside {available.getRect()}")
    for button in (history.open_button, history.review_button, history.delete_button,
                   history.export_button, panel.review_button):
        if button.width() < button.minimumSizeHint().width():
            problems.append(f"{button.text()!r}: text cut ({button.width()} < "
                            f"{button.minimumSizeHint().width()} px)")
    return {"screen": screen.geometry().getRect(), "available": available.getRect(),
            "dpr": screen.devicePixelRatio(), "frame": frame.getRect(),
            "compact": window.desk.layout.compact,
            "font_px": window.fontMetrics().height(), "problems": problems}


def _shortcut_problems(app, window, settle) -> list[str]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    hits = []
    window.history_actions.export_csv = lambda query: hits.append(1)  # no file dialog
    search = window.history_view.search_edit
    window.activateWindow()
    search.setFocus()
    settle(0.2)
    QTest.keyClick(search, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    settle(0.2)
    return [] if hits else ["Ctrl+E in the search box did not export"]


if __name__ == "__main__":
    raise SystemExit(main())
