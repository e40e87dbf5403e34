"""WindowActions: every menu command with its shortcut, and the menus and toolbar built from them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QSlider, QToolBar

from cxr_desktop.i18n import _

Key = QKeySequence.StandardKey


class WindowActions:
    def __init__(self, window: QMainWindow) -> None:
        self.window = window

        def make_action(text: str, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
            action = QAction(text, window)
            if shortcut is not None:
                keys = shortcut if isinstance(shortcut, list) else [shortcut]
                unique: list[QKeySequence] = []
                for key in keys:
                    sequence = QKeySequence(key)
                    if not sequence.isEmpty() and sequence not in unique:
                        unique.append(sequence)
                action.setShortcuts(unique)
            if tip:
                action.setStatusTip(tip)
                action.setToolTip(tip)
            action.setCheckable(checkable)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(action)  # shortcuts work even when the menu bar is hidden
            return action

        make = make_action
        self.open = make(_("&Open X-ray\u2026"), Key.Open,
                         tip=_("Open a chest X-ray image or DICOM file"))
        self.open_folder = make(_("Open &folder\u2026"), "Ctrl+Shift+O",
                                tip=_("Analyse every image in a folder and save the readings"))
        self.export = make(_("&Export history CSV\u2026"), "Ctrl+E",
                           tip=_("Save the whole history as a CSV file"))
        self.quit = make(_("&Quit"), [QKeySequence(Key.Quit), "Ctrl+Q"], tip=_("Close CXR Desktop"))
        self.fit = make(_("&Fit to window"), ["Ctrl+0", "F"], tip=_("Show the whole image"))
        self.actual = make(_("&Actual size (100%)"), ["Ctrl+1"],
                           tip=_("One image pixel per screen pixel"))
        self.zoom_in = make(_("Zoom &in"), [QKeySequence(Key.ZoomIn), "Ctrl+=", "+"], tip=_("Zoom in"))
        self.zoom_out = make(_("Zoom &out"), [QKeySequence(Key.ZoomOut), "-"], tip=_("Zoom out"))
        self.invert = make(_("&Invert"), "I", tip=_("Show bone dark and air bright"), checkable=True)
        self.heatmap = make(_("&Heatmap"), "H", tip=_("Show where the model looked"), checkable=True)
        self.reset_wl = make(_("&Reset brightness/contrast"), "R",
                             tip=_("Undo brightness/contrast changes (right-drag changes them)"))
        self.full_screen = make(_("Full &screen"), [QKeySequence(Key.FullScreen), "F11"],
                                tip=_("Use the whole screen"), checkable=True)
        self.find = make(_("&Search history"), [QKeySequence(Key.Find)],
                         tip=_("Search the reading history"))
        self.review = make(_("&Review reading\u2026"), "Ctrl+R",
                           tip=_("Note and confirmed finding for the reading on screen"))
        # issue 12: quality view and site calibration
        self.quality = make(_("&Quality at this clinic\u2026"), None,
                            tip=_("How the AI model does at this clinic, for supervisors"))
        self.site_calibration = make(_("Site &calibration\u2026"), None,
                                     tip=_("Adapt the AI model to this clinic, or roll it back"))
        self.about = make(_("&About CXR Desktop and the AI model"),
                          [QKeySequence(Key.HelpContents), "F1"],
                          tip=_("Intended use, limitations and the model card"))
        self.intended_use = make(_("&Intended use and limitations"), None,
                                 tip=_("What the AI can and cannot do"))
        # issue 15: the shared clinic database, staff accounts, the audit trail
        self.clinic_database = make(_("Shared clinic &database\u2026"), None,
                                    tip=_("Share one history between the clinic's PCs"))
        self.staff_accounts = make(_("Staff &accounts\u2026"), None,
                                   tip=_("Who may sign in, and what they may do"))
        self.audit_trail = make(_("&Audit trail\u2026"), None,
                                tip=_("Who viewed, reviewed, deleted or exported what, and when"))
        self.lock = make(_("&Lock and sign out"), "Ctrl+L", tip=_("Lock the window until someone "
                                                                  "signs in"))
        self.backup_now = make(_("&Back up the history now"), None,
                               tip=_("Make a checked copy of the whole history in the backup folder"))
        self.restore = make(_("Restore from &backup\u2026"), None,
                            tip=_("See the backups and bring one back"))
        # issue 11: reports, X-ray media, the worklist
        self.print_report = make(_("&Print report\u2026"), [QKeySequence(Key.Print), "Ctrl+P"],
                                 tip=_("Print the report of the reading on screen"))
        self.save_report = make(_("Save report as P&DF\u2026"), "Ctrl+Shift+P",
                                tip=_("Save the report of the reading on screen as a PDF file"))
        self.report_selected = make(_("Reports of the selected &rows as PDF\u2026"), None,
                                    tip=_("One PDF with a page for each selected reading"))
        self.summary = make(_("Period &summary\u2026"), None,
                            tip=_("Counts of a period and the referred readings, as PDF or CSV"))
        self.clinic = make(_("&Clinic details\u2026"), None,
                           tip=_("The clinic's name and address printed on reports"))
        self.import_media = make(_("&Import from CD/USB\u2026"), "Ctrl+I",
                                 tip=_("Read the chest X-rays of a CD, a USB stick or an export "
                                       "folder"))
        self.watch_folder = make(_("&Watch a folder\u2026"), None, checkable=True,
                                 tip=_("Read the X-rays the X-ray unit saves into a folder as "
                                       "they arrive (off by default)"))
        self.worklist = make(_("&To review"), "Ctrl+T",
                             tip=_("Readings without a confirmed finding, referred ones first"))
        self.heatmap.setChecked(True)
        self.review.setEnabled(False)

    def build_menus(self, docks: list) -> QMenu:
        bar = self.window.menuBar()
        file_menu = bar.addMenu(_("&File"))
        file_menu.addAction(self.open)
        file_menu.addAction(self.open_folder)
        file_menu.addAction(self.import_media)
        file_menu.addAction(self.watch_folder)
        self.recent_menu = file_menu.addMenu(_("Recent &files"))
        file_menu.addSeparator()
        for action in (self.print_report, self.save_report, self.summary):
            file_menu.addAction(action)
        file_menu.addAction(self.export)
        file_menu.addSeparator()
        file_menu.addAction(self.clinic)
        file_menu.addSeparator()
        file_menu.addAction(self.lock)
        file_menu.addAction(self.quit)
        view = bar.addMenu(_("&View"))
        for action in (self.fit, self.actual, self.zoom_in, self.zoom_out):
            view.addAction(action)
        view.addSeparator()
        for action in (self.invert, self.heatmap, self.reset_wl):
            view.addAction(action)
        view.addSeparator()
        view.addAction(self.full_screen)
        view.addSeparator()
        for dock in docks:
            view.addAction(dock.toggleViewAction())
        history = bar.addMenu(_("&History"))
        history.addAction(self.find)
        history.addAction(self.review)
        history.addSeparator()
        history.addAction(self.quality)
        history.addAction(self.site_calibration)
        history.addAction(self.audit_trail)
        settings = self.settings_menu = bar.addMenu(_("&Settings"))
        settings.addAction(self.clinic_database)
        settings.addAction(self.staff_accounts)
        history.addAction(self.backup_now)
        history.addAction(self.restore)
        history.addAction(self.worklist)
        history.addAction(self.report_selected)
        help_menu = bar.addMenu(_("&Help"))
        help_menu.addAction(self.intended_use)
        help_menu.addAction(self.about)
        return self.recent_menu

    def build_toolbar(self) -> QSlider:
        bar = QToolBar(_("Tools"), self.window)
        bar.setObjectName("main_toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.setMovable(False)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        for action in (self.open, self.open_folder):
            bar.addAction(action)
        bar.addSeparator()
        for action in (self.fit, self.zoom_in, self.zoom_out):
            bar.addAction(action)
        bar.addSeparator()
        for action in (self.invert, self.reset_wl, self.heatmap):
            bar.addAction(action)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, bar)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setFixedWidth(120)
        self.opacity_slider.setToolTip(_("How strongly the heatmap colours cover the image"))
        self.opacity_slider.setAccessibleName(_("Heatmap strength"))
        label = QLabel(_("Heatmap strength"), bar)
        label.setContentsMargins(6, 0, 4, 0)
        label.setBuddy(self.opacity_slider)
        bar.addWidget(label)
        bar.addWidget(self.opacity_slider)
        self.toolbar = bar
        return self.opacity_slider
