"""Logging for the command line: warnings on stderr as one line, everything from INFO up with
tracebacks in a rotating file in the user log folder. Lines go through the shared privacy rule
(``privacy.ScrubbingFormatter``): no file names, paths or patient fields. Undone by ``close()``
so that calling ``main`` repeatedly in one process (tests) leaves no handlers behind."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from cxr_desktop import paths
from cxr_desktop.i18n import _
from cxr_desktop.log_files import QuietRotatingFileHandler
from cxr_desktop.privacy import ScrubbingFormatter

log = logging.getLogger("cxr_desktop.cli")

LOG_FILENAME = "cxr-desktop-cli.log"


class OneLineFormatter(ScrubbingFormatter):
    """Console log lines without tracebacks (those go to the log file)."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            record = logging.makeLogRecord(record.__dict__)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return super().format(record)


class CliLogging:
    def __init__(self, verbose: bool) -> None:
        self.root = logging.getLogger()
        self.old_level = self.root.level
        self.handlers: list[logging.Handler] = []
        self.log_file: Path | None = None
        if sys.stderr is not None:
            console = logging.StreamHandler(sys.stderr)
            console.setLevel(logging.DEBUG if verbose else logging.WARNING)
            if not verbose:  # the user already gets a one-line message for these
                console.addFilter(lambda record: not getattr(record, "file_only", False))
            console.setFormatter(
                ScrubbingFormatter("%(levelname)s %(name)s: %(message)s")
                if verbose
                else OneLineFormatter("%(levelname)s: %(message)s")
            )
            self.handlers.append(console)
        try:
            folder = paths.log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            self.log_file = folder / LOG_FILENAME
            handler = QuietRotatingFileHandler(
                self.log_file, maxBytes=1 << 20, backupCount=2, encoding="utf-8", delay=True
            )
            handler.setLevel(logging.INFO)
            handler.setFormatter(
                ScrubbingFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
            )
            self.handlers.append(handler)
        except OSError:
            self.log_file = None
        for handler in self.handlers:
            self.root.addHandler(handler)
        self.root.setLevel(logging.DEBUG if verbose else logging.INFO)

    def close(self) -> None:
        for handler in self.handlers:
            self.root.removeHandler(handler)
            try:
                handler.close()
            except Exception:  # noqa: BLE001 - closing a log file must never fail the command
                pass
        self.root.setLevel(self.old_level)

    def unexpected(self, exc: BaseException) -> str:
        """Log the traceback (file only) and return the one-line message for the user."""
        log.error("unexpected error: %s", type(exc).__name__, exc_info=exc,
                  extra={"file_only": True})
        if self.log_file is not None:
            return _("An unexpected problem occurred ({error}). Details were written to "
                     "{log_file}.").format(error=type(exc).__name__, log_file=self.log_file)
        return _("An unexpected problem occurred ({error}).").format(error=type(exc).__name__)
