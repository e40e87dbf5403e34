"""The log file handler shared by the command line and the GUI."""

from __future__ import annotations

import logging
import logging.handlers
from typing import IO, Any

from cxr_desktop.private_files import open_private


class QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that drops lines it cannot write (read-only folder, full disk), so the
    user never sees logging's "--- Logging error ---" tracebacks on stderr. Its files are private
    (0600): log lines name files and readings."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging API
        pass

    def _open(self) -> IO[Any]:
        return open_private(self.baseFilename, self.mode, encoding=self.encoding,
                            errors=self.errors)
