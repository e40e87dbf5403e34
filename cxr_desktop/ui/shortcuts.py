"""Window shortcuts that work whatever has the focus.

A text field claims some Ctrl+ keys for itself before the window's shortcuts are tried (Qt's
"shortcut override"): on X11 a QLineEdit takes Ctrl+E ("end of line", an Emacs habit), so
File > Export did nothing while the history search box had the focus. ``WindowShortcutsFirst``
lets the window's own shortcuts win over those claims, except the editing keys every field needs
(copy, cut, paste, undo, redo, select all, moving and deleting by word) and plain typing:
a single letter or digit shortcut (F, I, H, 1...) still types that character in a field.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

_EDITING = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox)
_FIELD_KEYS = [
    QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Cut, QKeySequence.StandardKey.Paste,
    QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo,
    QKeySequence.StandardKey.SelectAll, QKeySequence.StandardKey.Delete,
    QKeySequence.StandardKey.DeleteStartOfWord, QKeySequence.StandardKey.DeleteEndOfWord,
    QKeySequence.StandardKey.MoveToNextWord, QKeySequence.StandardKey.MoveToPreviousWord,
    QKeySequence.StandardKey.SelectNextWord, QKeySequence.StandardKey.SelectPreviousWord,
    QKeySequence.StandardKey.Backspace, QKeySequence.StandardKey.InsertParagraphSeparator,
]
_COMMAND_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier \
    | Qt.KeyboardModifier.MetaModifier


def _sequence(event: QKeyEvent) -> QKeySequence:
    return QKeySequence(event.keyCombination())


def field_needs(event: QKeyEvent) -> bool:
    """True for a key a text field must keep (typing, editing, moving the cursor)."""
    if not event.modifiers() & _COMMAND_MODIFIERS:
        return True  # letters, digits, arrows, Home/End, F keys go to the field as usual
    return any(event.matches(key) for key in _FIELD_KEYS)


class WindowShortcutsFirst(QObject):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        QApplication.instance().installEventFilter(self)

    def _window_has(self, sequence: QKeySequence) -> bool:
        return any(sequence in action.shortcuts() and action.isEnabled()
                   for action in self.window.actions())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(watched, _EDITING):
            return False
        if watched.window() is not self.window or field_needs(event):
            return False
        if self._window_has(_sequence(event)):
            event.ignore()
            return True  # not offered to the field: the window's shortcut runs
        return False
