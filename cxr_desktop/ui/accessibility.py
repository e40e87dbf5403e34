"""Accessible names and descriptions for every control, from what a sighted user reads.

Qt already names a button after its text and a field after the label whose buddy it is. For the
rest (a search box with only a placeholder, a slider with only a tooltip, a table, the image
view) ``AccessibleNames`` gives each interactive widget, when it is shown, an accessible name
from the first of: its visible text, its label buddy, its placeholder, its tooltip, its status
tip, its window title; and a description from its tooltip or status tip. It watches the whole
application (dialogs and widgets made later included) through one event filter, and never
replaces a name or description that was set on purpose.

``missing_names(window)`` walks Qt's accessibility tree (QAccessible, what a screen reader
sees) and lists the interactive controls that still have no name; the tests call it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAccessible, QAccessibleInterface, QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

from cxr_desktop.i18n import _

#: Widgets a person operates (and so a screen reader must be able to name).
INTERACTIVE = (QAbstractButton, QLineEdit, QComboBox, QAbstractSlider, QAbstractSpinBox,
               QAbstractItemView, QPlainTextEdit, QTextEdit, QTabBar, QGraphicsView)
#: Roles in the accessibility tree that a person operates.
INTERACTIVE_ROLES = {
    QAccessible.Role.PushButton, QAccessible.Role.CheckBox, QAccessible.Role.RadioButton,
    QAccessible.Role.ComboBox, QAccessible.Role.EditableText, QAccessible.Role.Slider,
    QAccessible.Role.SpinBox, QAccessible.Role.Table, QAccessible.Role.List, QAccessible.Role.Tree,
    QAccessible.Role.PageTab, QAccessible.Role.ButtonMenu, QAccessible.Role.ButtonDropDown,
    QAccessible.Role.Dial,
}
_TAGS = re.compile(r"<[^>]+>")


def plain_words(text: str) -> str:
    """'&Open X-ray…' -> 'Open X-ray'; 'Patient &ID:' -> 'Patient ID'; tooltips without tags."""
    text = _TAGS.sub("", text or "").replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.replace("\u2026", "").strip().rstrip(":").strip()


def _buddy_text(widget: QWidget) -> str:
    window = widget.window()
    for label in window.findChildren(QLabel):
        if label.buddy() is widget and label.text():
            return label.text()
    return ""


def _qt_part_name(widget: QWidget) -> str:
    """Names for the buttons Qt adds by itself (a toolbar's or menu bar's "more" arrow)."""
    if widget.objectName() in ("qt_toolbar_ext_button", "qt_menubar_ext_button"):
        return _("More commands")
    return ""


def name_for(widget: QWidget) -> str:
    """The name a person would give this control, from what is on screen."""
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    candidates = [text, _buddy_text(widget), _qt_part_name(widget)]
    if isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit)):
        candidates.append(widget.placeholderText())
    candidates += [widget.toolTip(), widget.statusTip(), widget.windowTitle()]
    for text in candidates:
        words = plain_words(text)
        if words:
            return words
    return ""


def describe(widget: QWidget) -> None:
    """Give ``widget`` a name and a description when it has none yet."""
    if not isinstance(widget, INTERACTIVE):
        return
    interface = QAccessible.queryAccessibleInterface(widget)
    current = interface.text(QAccessible.Text.Name) if interface is not None else ""
    if not widget.accessibleName() and not current:
        name = name_for(widget)
        if name:
            widget.setAccessibleName(name)
    if not widget.accessibleDescription():
        tip = plain_words(widget.toolTip() or widget.statusTip())
        if tip and tip != widget.accessibleName():
            widget.setAccessibleDescription(tip)


def describe_tree(root: QWidget) -> None:
    describe(root)
    for child in root.findChildren(QWidget):
        describe(child)


class AccessibleNames(QObject):
    """Names every interactive widget of the application when its window is shown."""

    def __init__(self, app: QApplication | None = None) -> None:
        app = app or QApplication.instance()
        super().__init__(app)
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            if watched.isWindow():
                describe_tree(watched)
            else:
                describe(watched)
        return False


_installed: list[AccessibleNames] = []


def install(app: QApplication | None = None) -> AccessibleNames:
    """Once per application (the composition root and the window both may call it)."""
    if not _installed:
        _installed.append(AccessibleNames(app))
    return _installed[0]


def readable_palette(palette: QPalette) -> QPalette:
    """Fusion's light palette with text contrast raised to WCAG AA (4.5:1): the selection's blue
    (white text on #308cc6 is 3.7:1) and the placeholder grey."""
    palette = QPalette(palette)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Highlight, QColor("#1565c0"))
        palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        palette.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#5f6368"))
    return palette


def _walk(interface: QAccessibleInterface, depth: int = 0):
    if interface is None or not interface.isValid() or depth > 40:
        return
    yield interface
    for i in range(interface.childCount()):
        yield from _walk(interface.child(i), depth + 1)


def missing_names(root: QWidget) -> list[str]:
    """Interactive, visible controls under ``root`` whose accessible name is empty."""
    found = []
    for node in _walk(QAccessible.queryAccessibleInterface(root)):
        if node.role() not in INTERACTIVE_ROLES or node.state().invisible:
            continue
        if not node.text(QAccessible.Text.Name).strip():
            owner = node.object()
            found.append(f"{node.role().name} {type(owner).__name__} "
                         f"{owner.objectName() if owner is not None else ''}".strip())
    return found
