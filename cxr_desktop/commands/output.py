"""What a command prints: one line at a time, flushed (so JSON lines stream), and JSON that is
always valid (no NaN or Infinity)."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, TextIO

from cxr_desktop.core.plain_text import printable
from cxr_desktop.i18n import _

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def write_line(stream: TextIO | None, text: str) -> None:
    if stream is None:  # pythonw / gui-scripts on Windows have no console
        return
    stream.write(printable(text) + "\n")  # no terminal controls from names or notes
    stream.flush()


def print_line(text: str) -> None:
    """One line on stdout."""
    write_line(sys.stdout, text)


def print_error(message: str) -> None:
    write_line(sys.stderr, _("error: {message}").format(message=message))


def json_float(value: float | None, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return json_float(obj)
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def emit_json(obj: dict[str, Any]) -> None:
    """One JSON object on one line; a non-finite number becomes null."""
    print_line(json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False))
