"""The log file handler shared by the command line and the GUI."""

from __future__ import annotations

import logging
import logging.handlers


class QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that drops lines it cannot write (read-only folder, full disk), so the
    user never sees logging's "--- Logging error ---" tracebacks on stderr."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging API
        pass
