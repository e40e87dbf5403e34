"""Text that came from a file or a person, shown as exactly those characters, never as markup.

Wherever a Qt widget's text format is ``AutoText`` Qt *guesses* (``Qt.mightBeRichText``)
whether a string is HTML: QLabel by default, QMessageBox, tooltips, QProgressDialog's label. A
DICOM PatientID such as ``<img src='...' width=400>`` or ``<font size=7 color=red>NORMAL</font>``
(both fit the tag's 64 characters), a file name or a clinician's note would be rendered. So:

- :func:`plain_label` / :func:`make_plain`: a QLabel that never interprets its text;
- :func:`rich_text`: for the places that only guess (message boxes, tooltips): the text escaped
  and wrapped so that it is always taken as rich text and shows exactly the original characters
  (line breaks and runs of spaces kept);
- :func:`window_title`: Qt's ``[*]`` "modified" placeholder escaped;
- :func:`menu_text`: ``&`` (a mnemonic in menus and buttons) escaped;
- :func:`make_progress_plain`: QProgressDialog's label made plain.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressDialog, QWidget

_RICH_OPEN = '<p style="white-space:pre-wrap">'
_RICH_CLOSE = "</p>"


def rich_text(text: str | None) -> str:
    """``text`` as rich text that renders as exactly ``text`` (for QMessageBox and tooltips,
    which guess the format). Empty stays empty (an empty tooltip means no tooltip)."""
    if not text:
        return ""
    return f"{_RICH_OPEN}{html.escape(text, quote=False)}{_RICH_CLOSE}"


def make_plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    return make_plain(QLabel(text, parent))


def window_title(text: str) -> str:
    """A window title showing ``text`` as is: Qt hides or replaces a ``[*]`` in titles (the
    "unsaved changes" mark); doubled, it shows as written."""
    return text.replace("[*]", "[*][*]")


def menu_text(text: str) -> str:
    """Menu, button and tab text showing ``text`` as is (``&`` marks a keyboard shortcut)."""
    return text.replace("&", "&&")


def make_progress_plain(dialog: QProgressDialog) -> QProgressDialog:
    """QProgressDialog's label guesses the format: make it plain (file names go there)."""
    label = dialog.findChild(QLabel)
    if label is not None:
        make_plain(label)
    return dialog
