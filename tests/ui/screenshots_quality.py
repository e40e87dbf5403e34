"""Screenshots of issue 12 (called by tests/ui/screenshots.py): a simulated clinic whose machine
squeezes the contrast (tests/service/sites.py) fills the history with a month of confirmed
readings; then the main window with its quality notice at 1366x768 and 1024x768, and the quality
view's tabs and the site calibration dialog with a fit (both sized to fit 1024x768)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

SIZES = ((1366, 768), (1024, 768))


def fill_clinic(model_dir: Path, n: int = 650) -> None:
    from cxr_desktop import paths
    from cxr_desktop.composition import load_classifier
    from cxr_desktop.core.storage import open_history
    from cxr_desktop.service.reading import ReadingService
    from tests.service import sites

    data = paths.shared_data_dir()
    images = sites.site_sample(sites.val_images(data), n, seed="contrast", mix=sites.CLINIC_MIX)
    readings = sites.read(ReadingService(load_classifier(model_dir, threads=2), None), data,
                          images, "low_contrast")
    with open_history() as store:
        sites.store_confirmed(store, readings, [im.label for im in images])


def shoot_quality(app, out: Path, model_dir: Path, settle: Callable[[int], None]) -> None:
    from cxr_desktop.ui.app import create_main_window

    fill_clinic(model_dir)
    window = create_main_window(model_dir=model_dir)
    assert window is not None
    window.show()
    window.raise_()
    feature = window.quality

    def wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not condition():
            app.processEvents()
            time.sleep(0.01)
        if not condition():
            raise TimeoutError("the quality screens did not load")
        settle(400)

    def save(widget, name: str) -> None:
        settle(300)
        pixmap = widget.grab()
        pixmap.save(str(out / f"{name}.png"))
        print(f"saved {out / name}.png ({pixmap.width()}x{pixmap.height()})")

    wait(lambda: feature.report is not None)
    for width, height in SIZES:
        window.resize(width, height)
        save(window, f"10_quality_notice_{width}x{height}")
    # The dialogs are sized to fit the smaller screen (1024x768), so one picture each.
    feature.open_quality()
    view = feature.quality_view
    view.resize(980, 680)
    wait(lambda: view.result is not None)
    for index, name in enumerate(("summary", "agreement", "reliability", "trends")):
        view.tabs.setCurrentIndex(index)
        save(view, f"11_quality_{name}")
    view.close()
    feature.open_calibration()
    dialog = feature.calibration_dialog
    dialog.resize(900, 660)
    dialog.fit()
    wait(lambda: dialog.proposal is not None)
    dialog.name.setText("Dr. Ama Mensah")
    save(dialog, "12_site_calibration")
    dialog.close()
    window.close()
