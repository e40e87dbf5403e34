"""Text from a file or a person, made safe to print on a terminal.

A patient name, note or file name can hold terminal control sequences (``ESC [ 2 K`` erases the
line, ``ESC ] 52`` writes the clipboard, a carriage return or line feed starts a fake line of
output) or bidirectional overrides that show ``LAMRON`` as ``NORMAL``. :func:`printable` spells
each such character as a ``\\uXXXX`` escape, which reads plainly in a text line and is still the
same character inside a JSON string, so it is applied to every line the command line prints.
"""

from __future__ import annotations

import re

#: Control characters (C0 but tab, DEL, C1), bidi embeddings/overrides/isolates and marks,
#: and the line/paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(text: str) -> str:
    """``text`` with every terminal control and bidi character written as ``\\uXXXX``."""
    return _UNSAFE.sub(_escape, text)
