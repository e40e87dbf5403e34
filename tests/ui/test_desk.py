"""issue 13 in the window (offscreen): screen readers, the keyboard, the viewer's controls, the
language setting, colour pictures, the compact layout. The real screens are tested under Xvfb in
tests/ui/test_screens.py."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QLineF, QPointF, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cxr_desktop.core.imaging import load_xray
from cxr_desktop.ui import accessibility
from cxr_desktop.ui.responsive import FRAME_GUESS, dock_sizes, first_rect, fit_rect, is_compact
from cxr_desktop.ui.review_dialog import ReviewDialog
from cxr_desktop.ui.viewer_tools import PRESETS, PictureSize, length_text
from tests.ui.conftest import wait_for_reading


def _open(qtbot, window, path) -> None:
    window.open_file(str(path))
    wait_for_reading(qtbot, window)


def test_every_control_has_an_accessible_name(qtbot, make_window, images):
    window = make_window()
    _open(qtbot, window, images["light"])
    qtbot.wait(50)
    assert accessibility.missing_names(window) == []
    dialog = ReviewDialog(window.current_reading, window.labels, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert accessibility.missing_names(dialog) == []
    assert window.history_view.search_edit.accessibleName()
    assert window.viewer.accessibleName() and window.viewer.accessibleDescription()


def test_the_tree_check_finds_a_nameless_control(qtbot):
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    box = QWidget()
    qtbot.addWidget(box)
    QVBoxLayout(box).addWidget(QLineEdit(box))
    box.show()
    assert accessibility.missing_names(box) == ["EditableText QLineEdit"]
    accessibility.describe_tree(box)  # nothing to name it from: still missing
    assert accessibility.missing_names(box) == ["EditableText QLineEdit"]


def test_names_come_from_what_is_on_screen():
    assert accessibility.plain_words("&Open X-ray\u2026") == "Open X-ray"
    assert accessibility.plain_words("Patient &ID:") == "Patient ID"
    assert accessibility.plain_words("<b>Save &&more</b>") == "Save &more"


def test_window_shortcuts_work_from_the_search_box(qtbot, make_window, monkeypatch):
    window = make_window()
    exported = []
    monkeypatch.setattr(window.history_actions, "export_csv", lambda query: exported.append(1))
    window.activateWindow()
    search = window.history_view.search_edit
    search.setFocus()
    QTest.keyClick(search, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert exported == [1]
    QTest.keyClicks(search, "fi")  # single-key shortcuts (F = fit, I = invert) still type
    assert search.text() == "fi" and not window.commands.invert.isChecked()


def test_presets_and_brightness_steps_from_the_keyboard(qtbot, make_window, images):
    window = make_window()
    _open(qtbot, window, images["light"])
    viewer = window.viewer
    viewer.setFocus()
    for key, name in ((Qt.Key.Key_2, "lung"), (Qt.Key.Key_3, "bone"),
                      (Qt.Key.Key_4, "soft_tissue"), (Qt.Key.Key_1, "default")):
        QTest.keyClick(viewer, key)
        assert viewer.window_level == PRESETS[name]
    QTest.keyClick(viewer, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert viewer.window_level[0] < PRESETS["default"][0]  # brighter: a lower level
    assert window.commands.actual.shortcuts()[0].toString() == "Ctrl+1"


def test_rotate_and_flip_turn_the_picture_and_its_heatmap(qtbot, make_window, images):
    window = make_window()
    _open(qtbot, window, images["light"])  # 260 x 300
    viewer, tools = window.viewer, window.desk.tools
    assert viewer.sceneRect().size().toSize().width() == 260
    tools.rotate_right.trigger()
    assert viewer.orientation == (1, False, False)
    assert viewer.sceneRect().size().toSize().width() == 300  # turned a quarter
    corner, box = viewer.image_frame.mapToScene(QPointF(0, 0)), viewer.sceneRect()
    assert (round(corner.x()), round(corner.y())) == (round(box.right()), round(box.top()))
    tools.flip_lr.trigger()
    assert viewer.orientation == (1, True, False)
    tools.reset_turn.trigger()
    assert viewer.orientation == (0, False, False)
    tools.rotate_left.trigger()
    assert viewer.orientation[0] == 3
    _open(qtbot, window, images["grey"])
    assert viewer.orientation == (0, False, False)  # a new picture is upright


def test_length_in_millimetres_from_the_dicom_pixel_spacing(qtbot, make_window, tmp_path):
    from tests.core.dicom_factory import make_dataset, write

    pixels = np.clip(np.random.default_rng(5).normal(2800, 150, (400, 300)), 0, 4095)
    path = write(tmp_path / "spaced.dcm", make_dataset(pixels.astype(np.uint16), "MONOCHROME2",
                                                       12, PixelSpacing=[0.25, 0.2]))
    assert load_xray(path).metadata.pixel_spacing_mm == (0.25, 0.2)
    window = make_window()
    _open(qtbot, window, path)
    tool = window.desk.tools.measure_tool
    window.desk.tools.measure.trigger()
    assert tool.active
    # 100 shown pixels across (columns, 0.2 mm) and 40 down (rows, 0.25 mm): hypot(20, 10)
    text = tool.measure(QPointF(10, 10), QPointF(110, 50))
    assert text.startswith("22.4 mm")
    assert "22.4 mm" in window.statusBar().currentMessage()


def test_lengths_are_scaled_to_the_original_and_labelled():
    line = QLineF(0, 0, 100, 0)
    reduced = PictureSize((2000, 1000), (0.1, 0.1), "PixelSpacing")
    assert length_text(line, (1000, 500), reduced) == "20.0 mm"  # shown at half size
    detector = PictureSize((1000, 500), (0.1, 0.1), "ImagerPixelSpacing")
    assert length_text(line, (1000, 500), detector).startswith("10.0 mm at the detector")
    plain = length_text(line, (500, 250), PictureSize((1000, 500)))
    assert plain.startswith("200 pixels") and "no pixel size" in plain


def test_a_stored_reading_is_measured_in_its_original_pixels(qtbot, make_window, tmp_path):
    big = tmp_path / "big.png"  # stored with a 512-pixel preview
    Image.fromarray(np.clip(np.random.default_rng(4).normal(200, 12, (1000, 1300)), 0, 255)
                    .astype(np.uint8)).save(big)
    window = make_window()
    _open(qtbot, window, big)
    window.open_reading(window.current_reading.id)
    qtbot.waitUntil(lambda: "stored preview" in window.statusBar().currentMessage())
    tool = window.desk.tools.measure_tool
    shown = window.viewer.image_size
    assert shown == (512, 394)
    text = tool.measure(QPointF(0, 0), QPointF(shown[0], 0))  # the whole width
    assert text.startswith("1,300 pixels of the original image")


def test_a_colour_picture_is_shown_in_colour(qtbot, make_window, tmp_path):
    rgb = np.zeros((240, 320, 3), np.uint8)
    rgb[..., 0] = 220
    rgb[120:, :, 2] = 200
    path = tmp_path / "photo.png"
    Image.fromarray(rgb).save(path)
    window = make_window()
    _open(qtbot, window, path)
    viewer = window.viewer
    assert viewer.shows_color
    shown = viewer.rendered_array()
    assert shown.ndim == 3 and shown[0, 0, 0] == 220 and shown[0, 0, 2] == 0
    assert "colour" in window.prediction_panel.text() or window.prediction_panel.result is not None
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((240, 320), 90, np.uint8)).convert("RGB").save(grey)
    assert load_xray(grey).color is None  # a grey picture stored as RGB stays grey


def test_language_is_a_setting_applied_at_the_next_start(qtbot, make_window, dialogs_log):
    window = make_window()
    restarted = []
    menu = window.desk.languages
    menu.restart = lambda w: restarted.append(w)
    menu.actions["fr"].trigger()
    assert window.settings.language == "fr" and restarted == [window]
    assert dialogs_log.titles("question") == ["Language"]
    dialogs_log.answer_yes = False
    menu.actions[""].trigger()
    assert window.settings.language == "" and restarted == [window]


def test_the_application_starts_in_the_chosen_language(qapp, app_home):
    from cxr_desktop import i18n
    from cxr_desktop.ui.app import apply_language
    from cxr_desktop.ui.settings import AppSettings

    app = QApplication.instance()
    settings = AppSettings()
    settings.language = "ar"
    settings.sync()
    try:
        assert apply_language(app, AppSettings().language) == "ar"
        assert app.layoutDirection() == Qt.LayoutDirection.RightToLeft
        assert i18n._("History") != "History"
        assert "Noto Naskh Arabic" in app.font().families()
    finally:
        apply_language(app, "en")
    assert app.layoutDirection() == Qt.LayoutDirection.LeftToRight


def test_a_short_window_folds_the_patient_fields(qtbot, make_window):
    window = make_window()
    pane = window.reading_dock.widget()
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: pane.patient_folded)
    window.patient_panel.id_edit.setText("PID-7")
    assert "PID-7" in pane.patient_toggle.text()
    pane.patient_toggle.click()
    assert window.patient_panel.isVisible()
    window.resize(1500, 950)
    qtbot.waitUntil(lambda: not pane.patient_toggle.isVisible())
    assert window.patient_panel.isVisible()


@pytest.mark.parametrize("screen", [(1024, 768), (1366, 768), (1920, 1080)])
def test_first_size_and_saved_size_fit_the_screen(screen):
    available = QRect(0, 0, screen[0], screen[1] - 40)  # a panel at the bottom
    first = first_rect(available)
    half = FRAME_GUESS[1] // 2  # room for a title bar above and a border below
    assert available.contains(first.adjusted(0, -half, 0, half))
    saved = QRect(200, 150, 1800, 1100)  # from a big screen
    fitted = fit_rect(saved, available)
    assert available.contains(fitted.adjusted(0, -half, 0, half))
    right, bottom = dock_sizes(first.width(), first.height())
    assert right >= 360 and bottom >= 170
    assert is_compact(first.width(), first.height()) == (screen != (1920, 1080))


def test_the_banner_has_an_icon_and_words_beside_its_colour(qtbot, make_window, images):
    window = make_window()
    _open(qtbot, window, images["grey"])  # uncertain with the tiny model
    panel = window.prediction_panel
    assert panel.banner_kind == "uncertain" and not panel.banner_icon.pixmap().isNull()
    assert "radiologist" in panel.banner.text()
    _open(qtbot, window, images["white"])  # not a chest X-ray
    assert panel.banner_kind == "warning" and "X\u2011ray" in panel.banner.text()


@pytest.mark.parametrize("language", ["fr", "es", "pt", "ar", "bn", "sw"])
def test_qt_s_own_buttons_speak_every_shipped_language(qapp, language):
    """Yes/No/Cancel, text field menus, the file dialog: Qt's translation, or ours (bn, sw)."""
    from PySide6.QtCore import QCoreApplication

    from cxr_desktop.ui.app import apply_language

    app = QApplication.instance()
    try:
        apply_language(app, language)
        for context, word in (("QPlatformTheme", "Cancel"), ("QPlatformTheme", "&Yes"),
                              ("QLineEdit", "&Copy"), ("QFileDialog", "&Look in:"),
                              ("QAbstractFileIconProvider", "Folder")):
            assert QCoreApplication.translate(context, word) != word, (language, word)
    finally:
        apply_language(app, "en")


@pytest.mark.parametrize(("language", "family"), [("bn", "Noto Sans Bengali"),
                                                  ("ar", "Noto Naskh Arabic")])
def test_bundled_fonts_have_every_glyph_of_the_translation(qapp, language, family):
    """Bengali and Arabic render as letters, not boxes, with only the bundled fonts: every
    letter of the catalogue is in the script's font (digits and Latin in the system's)."""
    from PySide6.QtGui import QFont, QFontDatabase, QRawFont

    from cxr_desktop import i18n_catalog
    from cxr_desktop.ui.fonts import register_bundled_fonts

    assert register_bundled_fonts()
    assert family in QFontDatabase.families()
    script = QRawFont.fromFont(QFont(family))
    base = QRawFont.fromFont(QApplication.instance().font())
    catalog = i18n_catalog.read_catalog(i18n_catalog.po_path(language), language)
    letters = {c for m in catalog if m.id for s in ([m.string] if isinstance(m.string, str)
                                                    else m.string) for c in s}
    # Symbols the English text has too (arrows...) render as they do in English.
    source = {c for m in catalog if m.id for s in ([m.id] if isinstance(m.id, str) else m.id)
              for c in s}
    script_letters = {c for c in letters - source
                      if ord(c) >= 0x0590 and c not in "\u200e\u200f\u2011"}
    missing = sorted(c for c in script_letters if not script.supportsCharacter(ord(c))
                     and not base.supportsCharacter(ord(c)))
    assert len(script_letters) > 30 and missing == [], [hex(ord(c)) for c in missing]
