"""The main window on every screen from 1024 x 768 up.

* Its first size is the screen's available area (inside the taskbar and panels), at most
  1440 x 900, and a saved geometry from a bigger screen is shrunk and moved onto this one
  (``fit_rect``); once shown, the real frame (title bar, borders) is taken into account too.
* When the window is short or narrow (``compact``), the patient fields fold behind one line and
  the docks take sizes that keep the AI result and the history's buttons on screen: the reading
  pane takes the full height on the right when the history still fits beside it below the
  image, else the history is a strip across the bottom; whenever a result is shown and its last
  line (the review button) would need scrolling, the history gives up the height it needs
  (``fit_reading``), never below its own minimum.

Pure geometry is in ``fit_rect`` and ``dock_sizes`` (tested without a screen); the X server
test (tests/ui/test_screens.py) checks the real window at 1024 x 768, 1366 x 768 and
1920 x 1080, at 200 % HiDPI and with 125 % / 150 % fonts.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QMainWindow

from cxr_desktop.ui.reading_pane import ReadingPane

PREFERRED = (1440, 900)
#: Below these (logical pixels of the window) the layout is compact.
COMPACT_WIDTH = 1280
COMPACT_HEIGHT = 880
#: Room left for a title bar and borders before the window manager reports the real frame.
FRAME_GUESS = (0, 40)
#: How long after the first show the window manager's placement is corrected.
SETTLE_SECONDS = 5.0


def fit_rect(wanted: QRect, available: QRect, frame: tuple[int, int] = FRAME_GUESS) -> QRect:
    """``wanted`` (client area) shrunk so that, with ``frame`` added, it fits ``available``,
    and moved inside it."""
    width = min(wanted.width(), available.width() - frame[0])
    height = min(wanted.height(), available.height() - frame[1])
    x = min(max(wanted.x(), available.x()), available.right() + 1 - width - frame[0])
    y = min(max(wanted.y(), available.y() + frame[1] // 2), available.bottom() + 1 - height
            - frame[1] // 2)
    return QRect(x, y, max(width, 1), max(height, 1))


def first_rect(available: QRect, frame: tuple[int, int] = FRAME_GUESS) -> QRect:
    """The first size: the available area up to PREFERRED, centred."""
    width = min(PREFERRED[0], available.width() - frame[0])
    height = min(PREFERRED[1], available.height() - frame[1])
    x = available.x() + (available.width() - width - frame[0]) // 2
    y = available.y() + (available.height() - height) // 2
    return QRect(x, y, width, height)


def is_compact(width: int, height: int) -> bool:
    return width < COMPACT_WIDTH or height < COMPACT_HEIGHT


def dock_sizes(width: int, height: int) -> tuple[int, int]:
    """(reading pane width, history height) for a window of this size."""
    if is_compact(width, height):
        return (max(360, min(440, int(width * 0.36))), max(170, min(230, int(height * 0.27))))
    return (max(400, min(520, int(width * 0.3))), max(220, min(320, int(height * 0.3))))


class ResponsiveLayout(QObject):
    def __init__(self, window: QMainWindow, reading_dock: QDockWidget, history_dock: QDockWidget,
                 pane: ReadingPane, restored: bool) -> None:
        super().__init__(window)
        self.window = window
        self.reading_dock = reading_dock
        self.history_dock = history_dock
        self.pane = pane
        self.compact: bool | None = None
        self._date_row: QHBoxLayout | None = None
        self._shown_at: float | None = None
        available = window.screen().availableGeometry()
        window.setGeometry(fit_rect(window.geometry(), available) if restored
                           else first_rect(available))
        self.update_layout(force_sizes=not restored)
        window.installEventFilter(self)

    def update_layout(self, force_sizes: bool = False) -> None:
        """Fold or unfold for the window's size; dock sizes only when that changes (a size the
        user dragged is kept)."""
        size = self.window.size()
        compact = is_compact(size.width(), size.height())
        if compact == self.compact and not force_sizes:
            return
        self.compact = compact
        self.pane.set_foldable(compact)
        right, bottom = dock_sizes(size.width(), size.height())
        self._arrange_filters(two_rows=compact)
        pane = max(right, self.reading_dock.minimumSizeHint().width())
        beside = size.width() - pane - 12 >= self.history_dock.minimumSizeHint().width()
        self._set_beside(compact and beside)
        if compact and beside and self.window.minimumSizeHint().width() \
                > self.window.screen().availableGeometry().width():
            self._set_beside(False)  # side by side the docks would not fit the screen
        if compact and beside:  # the pane has the full height: the history may take more
            bottom = max(bottom, int(size.height() * 0.36))
        self.window.resizeDocks([self.reading_dock], [right], Qt.Orientation.Horizontal)
        self.window.resizeDocks([self.history_dock], [bottom], Qt.Orientation.Vertical)
        QTimer.singleShot(0, self.window, self.fit_reading)

    def _set_beside(self, beside: bool) -> None:
        """The reading pane full height (the history beside it, under the image) or not."""
        self.window.setCorner(Qt.Corner.BottomRightCorner,
                              Qt.DockWidgetArea.RightDockWidgetArea if beside
                              else Qt.DockWidgetArea.BottomDockWidgetArea)

    def _arrange_filters(self, two_rows: bool) -> None:
        """Compact: the history's date range on a second row under the search, so the history
        is narrow enough to sit beside the reading pane."""
        view = self.history_dock.widget()
        widgets = [getattr(view, n, None) for n in ("from_check", "from_date", "to_check",
                                                      "to_date")]
        search, outer = getattr(view, "search_edit", None), view.layout()
        first = next((outer.itemAt(i).layout() for i in range(outer.count())
                      if outer.itemAt(i).layout() is not None
                      and outer.itemAt(i).layout().indexOf(search) >= 0), None)
        if None in widgets or first is None:
            return
        search.setMinimumWidth(120 if two_rows else 220)
        if two_rows and self._date_row is None:
            self._date_row = QHBoxLayout()
            for widget in widgets:
                first.removeWidget(widget)
                self._date_row.addWidget(widget)
            self._date_row.addStretch(1)
            outer.insertLayout(outer.indexOf(first) + 1, self._date_row)
        elif not two_rows and self._date_row is not None:
            for widget in widgets:
                self._date_row.removeWidget(widget)
                first.addWidget(widget)
            outer.removeItem(self._date_row)
            self._date_row = None
        outer.activate()

    def fit_reading(self) -> None:
        """The result's last line on screen without scrolling: the pane back at its top, and
        when it still does not fit, the history strip lower (not below its minimum)."""
        scroll = self.pane.scroll
        scroll.verticalScrollBar().setValue(0)
        last = self.pane.last_key_widget()
        if last is None or not last.isVisible():
            return
        bottom = last.mapTo(scroll.viewport(), last.rect().bottomLeft()).y()
        overflow = bottom + 6 - scroll.viewport().height()
        if overflow <= 0 or not self.history_dock.isVisible():
            return
        if self.window.corner(Qt.Corner.BottomRightCorner) == Qt.DockWidgetArea.RightDockWidgetArea:
            return  # the pane has the full height already
        lowest = self.history_dock.minimumSizeHint().height()
        height = max(lowest, self.history_dock.height() - overflow)
        if height < self.history_dock.height():
            self.window.resizeDocks([self.history_dock], [height], Qt.Orientation.Vertical)

    def keep_on_screen(self) -> None:
        """Once the window manager has framed the window: frame and all inside the screen
        (title bar, borders and the bottom handle some window managers add)."""
        screen = self.window.screen().availableGeometry()
        frame = self.window.frameGeometry()
        if screen.contains(frame) or self.window.isMaximized() or self.window.isFullScreen():
            return
        client = self.window.geometry()
        top, left = client.y() - frame.y(), client.x() - frame.x()
        width = min(client.width(), screen.width() - (frame.width() - client.width()))
        height = min(client.height(), screen.height() - (frame.height() - client.height()))
        x = min(max(frame.x(), screen.x()), screen.right() + 1 - (frame.width() - client.width())
                - width) + left
        y = min(max(frame.y(), screen.y()), screen.bottom() + 1 - (frame.height()
                                                                   - client.height()) - height)
        self.window.setGeometry(QRect(x, y + top, width, height))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.update_layout()
        if kind == QEvent.Type.Show and self._shown_at is None:
            self._shown_at = time.monotonic()
        if kind in (QEvent.Type.Show, QEvent.Type.Move, QEvent.Type.Resize) \
                and self._shown_at is not None \
                and time.monotonic() - self._shown_at < SETTLE_SECONDS:
            QTimer.singleShot(50, self.window, self.keep_on_screen)
        return False
