"""WindowActions: every menu command with its shortcut, and the menus and toolbar built from them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QSlider, QToolBar

Key = QKeySequence.StandardKey


class WindowActions:
    def __init__(self, window: QMainWindow) -> None:
        self.window = window

        def make(text: str, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
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

        self.open = make("&Open X-ray\u2026", Key.Open, "Open a chest X-ray image or DICOM file")
        self.open_folder = make("Open &folder\u2026", "Ctrl+Shift+O",
                                "Analyse every image in a folder and save the readings")
        self.export = make("&Export history CSV\u2026", "Ctrl+E", "Save the whole history as a CSV file")
        self.quit = make("&Quit", [QKeySequence(Key.Quit), "Ctrl+Q"], "Close CXR Desktop")
        self.fit = make("&Fit to window", ["Ctrl+0", "F"], "Show the whole image")
        self.actual = make("&Actual size (100%)", ["Ctrl+1", "1"], "One image pixel per screen pixel")
        self.zoom_in = make("Zoom &in", [QKeySequence(Key.ZoomIn), "Ctrl+=", "+"], "Zoom in")
        self.zoom_out = make("Zoom &out", [QKeySequence(Key.ZoomOut), "-"], "Zoom out")
        self.invert = make("&Invert", "I", "Show bone dark and air bright", checkable=True)
        self.heatmap = make("&Heatmap", "H", "Show where the model looked", checkable=True)
        self.reset_wl = make("&Reset window/level", "R",
                             "Undo brightness/contrast changes (right-drag changes them)")
        self.full_screen = make("Full &screen", [QKeySequence(Key.FullScreen), "F11"],
                                "Use the whole screen", checkable=True)
        self.find = make("&Search history", [QKeySequence(Key.Find)], "Search the reading history")
        self.review = make("&Review reading\u2026", "Ctrl+R", "Note and confirmed finding for the reading on screen")
        self.about = make("&About CXR Desktop and the AI model", [QKeySequence(Key.HelpContents), "F1"],
                          "Intended use, limitations and the model card")
        self.intended_use = make("&Intended use and limitations", None, "What the AI can and cannot do")
        self.heatmap.setChecked(True)
        self.review.setEnabled(False)

    def build_menus(self, docks: list) -> QMenu:
        bar = self.window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open)
        file_menu.addAction(self.open_folder)
        self.recent_menu = file_menu.addMenu("Recent &files")
        file_menu.addSeparator()
        file_menu.addAction(self.export)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        view = bar.addMenu("&View")
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
        history = bar.addMenu("&History")
        history.addAction(self.find)
        history.addAction(self.review)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.intended_use)
        help_menu.addAction(self.about)
        return self.recent_menu

    def build_toolbar(self) -> QSlider:
        bar = QToolBar("Tools", self.window)
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
        self.opacity_slider.setToolTip("Heatmap opacity")
        self.opacity_slider.setAccessibleName("Heatmap opacity")
        bar.addWidget(QLabel(" Opacity ", bar))
        bar.addWidget(self.opacity_slider)
        self.toolbar = bar
        return self.opacity_slider
