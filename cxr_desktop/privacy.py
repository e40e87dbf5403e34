"""The one privacy rule for logs, shared by the CLI and the GUI: no file names, paths or patient
fields in any log line or crash report.

File names often carry patient names, so code logs a file as ``describe_file(path)`` (its
extension and a short hash of its path), never the path. As a second line of defence every path
and patient field the app handles is remembered (``remember_sensitive``), and ``ScrubbingFormatter``
removes them from every formatted line, tracebacks and other libraries' messages included. Use
``redact`` for text that may quote a path (an error's technical detail).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import traceback
from pathlib import Path

_SENSITIVE: dict[str, str] = {}  # text that must not reach a log line -> its replacement
_LOCK = threading.Lock()
MIN_SENSITIVE_LENGTH = 4
MAX_REMEMBERED = 50_000


def _token(path: str) -> str:
    suffix = Path(path).suffix.lower()[:8] or "no extension"
    digest = hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"file#{digest} ({suffix})"


def describe_file(path: str | os.PathLike[str] | None) -> str:
    """A log-safe name for a file. The path and its parts are also remembered, so the log
    formatter scrubs them from any other module's log lines."""
    if not path:
        return "<no file>"
    text = os.fspath(path)
    token = _token(text)
    p = Path(text)
    remember_sensitive(text, str(p.absolute()), p.name, p.stem, replacement=token)
    folder = str(p.absolute().parent)
    if folder not in ("/", p.anchor):  # folders are often named after patients too
        remember_sensitive(folder, replacement="<folder>")
    return token


def remember_sensitive(*values: str | None, replacement: str = "<redacted>") -> None:
    """Never log these strings (file paths and names, patient names and IDs). A DICOM person
    name's parts (``Family^Given``) are remembered one by one too."""
    with _LOCK:
        for value in values:
            value = (value or "").strip()
            parts = [value, *value.replace("=", "^").split("^")] if "^" in value else [value]
            for part in parts:
                part = part.strip()
                if len(part) >= MIN_SENSITIVE_LENGTH and part not in _SENSITIVE:
                    if len(_SENSITIVE) >= MAX_REMEMBERED:
                        _SENSITIVE.pop(next(iter(_SENSITIVE)))
                    _SENSITIVE[part] = replacement


def scrub(text: str) -> str:
    """``text`` with every remembered sensitive string replaced (longest first)."""
    with _LOCK:
        needles = sorted(_SENSITIVE.items(), key=lambda kv: len(kv[0]), reverse=True)
    for needle, replacement in needles:
        if needle in text:
            text = text.replace(needle, replacement)
    return text


def redact(text: str | None, path: str | os.PathLike[str] | None = None) -> str:
    """``text`` (e.g. an error's technical detail) with the file's path and name replaced by
    ``describe_file(path)`` and every remembered sensitive string scrubbed."""
    text = str(text or "")
    if path:
        full = os.fspath(path)
        token = describe_file(full)
        for needle in sorted({full, str(Path(full)), Path(full).name, Path(full).stem}, key=len,
                             reverse=True):
            if len(needle) >= 3:
                text = text.replace(needle, token)
    return scrub(text)


def redacted_traceback(exc: BaseException, path: str | os.PathLike[str] | None = None) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return redact(text, path)


class ScrubbingFormatter(logging.Formatter):
    """Formats as usual, then removes remembered file and patient names from the whole line,
    traceback included, whichever module logged it."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
