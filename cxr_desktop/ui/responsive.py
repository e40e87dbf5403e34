"""The main window on every screen from 1024 x 768 up.

* Its first size is the screen's available area (inside the taskbar and panels), at most
  1440 x 900, and a saved geometry from a bigger screen is shrunk and moved onto this one
  (``fit_rect``); once shown, the real frame (title bar, borders) is taken into account too.
* When the window is short or narrow (``compact``), the patient fields fold behind one line and
  the docks take sizes that keep the AI result and the history's buttons on screen: the
  history a strip at the bottom, the reading pane as narrow as its text allows.

Pure geometry is in ``fit_rect`` and ``dock_sizes`` (tested without a screen); the X server
test (tests/ui/test_screens.py) checks the real window at 1024 x 768, 1366 x 768 and
1920 x 1080, at 200 % HiDPI and with 125 % / 150 % fonts.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

from cxr_desktop.ui.reading_pane import ReadingPane

PREFERRED = (1440, 900)
#: Below these (logical pixels of the window) the layout is compact.
COMPACT_WIDTH = 1280
COMPACT_HEIGHT = 880
#: Room left for a title bar and borders before the window manager reports the real frame.
FRAME_GUESS = (0, 32)


def fit_rect(wanted: QRect, available: QRect, frame: tuple[int, int] = FRAME_GUESS) -> QRect:
    """``wanted`` (client area) shrunk so that, with ``frame`` added, it fits ``available``,
    and moved inside it."""
    width = min(wanted.width(), available.width() - frame[0])
    height = min(wanted.height(), available.height() - frame[1])
    x = min(max(wanted.x(), available.x()), available.right() + 1 - width - frame[0])
    y = min(max(wanted.y(), available.y() + frame[1]), available.bottom() + 1 - height)
    return QRect(x, y, max(width, 1), max(height, 1))


def first_rect(available: QRect, frame: tuple[int, int] = FRAME_GUESS) -> QRect:
    """The first size: the available area up to PREFERRED, centred."""
    width = min(PREFERRED[0], available.width() - frame[0])
    height = min(PREFERRED[1], available.height() - frame[1])
    x = available.x() + (available.width() - width - frame[0]) // 2
    y = available.y() + frame[1] + (available.height() - height - frame[1]) // 2
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
        self._shown_once = False
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
        self.window.resizeDocks([self.reading_dock], [right], Qt.Orientation.Horizontal)
        self.window.resizeDocks([self.history_dock], [bottom], Qt.Orientation.Vertical)

    def keep_on_screen(self) -> None:
        """Once the window manager has framed the window: frame and all inside the screen."""
        screen = self.window.screen().availableGeometry()
        frame = self.window.frameGeometry()
        if screen.contains(frame) or self.window.isMaximized() or self.window.isFullScreen():
            return
        client = self.window.geometry()
        margins = (frame.width() - client.width(), frame.height() - client.height())
        self.window.setGeometry(fit_rect(client, screen, (max(0, margins[0]), max(0, margins[1]))))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.update_layout()
        elif kind == QEvent.Type.Show and not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(150, self.window, self.keep_on_screen)
        return False
