"""A watched folder (optional, off by default): files the X-ray unit exports there are read
automatically, each once, also across restarts and power cuts.

* A file is read only once it is complete: its size and modification time have not changed for
  ``settle_s`` seconds and it can be opened for reading (on Windows, not while the unit still
  holds it open for writing).
* A journal (one JSON object per line, flushed and fsync'd before the next step) records each
  file (path, size, mtime) as ``claimed`` before it is read and ``done``/``skipped`` after. A
  torn last line (a power cut in mid-write) is ignored.
* After a crash between ``claimed`` and ``done`` the history decides: a reading of the same file
  (sha256) or DICOM image (SOP Instance UID) already there means it was saved, and it is not
  read again. The same check runs before every read, so even a lost journal reads nothing twice.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cxr_desktop.core.errors import CxrError, PermissionDeniedError
from cxr_desktop.core.storage import HistoryStore
from cxr_desktop.privacy import describe_file, redact
from cxr_desktop.private_files import open_private
from cxr_desktop.service.folders import file_sha256, list_images
from cxr_desktop.service.reading import ReadingService

log = logging.getLogger(__name__)

JOURNAL_NAME = "watched-folder.journal"
DEFAULT_SETTLE_S = 3.0
FINAL = ("done", "skipped")

Key = tuple[str, int, int]  # path, size, mtime_ns


@dataclass(frozen=True)
class WatchEvent:
    path: str
    state: str  # "done", "skipped", "failed"
    reading_id: int | None = None
    reason: str | None = None
    label: str | None = None
    uncertain: bool = False


class Journal:
    """Append-only record of what happened to each file; survives a kill at any point."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.entries: dict[Key, dict] = {}
        self._load()

    def _load(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                entry = json.loads(line)
                key = (str(entry["path"]), int(entry["size"]), int(entry["mtime_ns"]))
            except (ValueError, KeyError, TypeError):
                log.warning("watched folder: a torn journal line was ignored")
                continue
            self.entries[key] = entry

    def state(self, key: Key) -> str | None:
        entry = self.entries.get(key)
        return None if entry is None else str(entry.get("state"))

    def record(self, key: Key, state: str, **extra: object) -> None:
        entry = {"path": key[0], "size": key[1], "mtime_ns": key[2], "state": state, **extra}
        with open_private(self.path, "a", encoding="utf-8") as handle:
            if handle.tell() > 0 and not self._ends_with_newline():
                handle.write("\n")  # after a torn line, start a new one
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.entries[key] = entry

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"


def can_open(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True


class FolderWatcher:
    """Reads the new, complete image files of ``folder`` on each ``poll()`` (not thread-safe:
    one poll at a time)."""

    def __init__(self, folder: str | os.PathLike[str], journal: Journal, service: ReadingService,
                 store: HistoryStore, settle_s: float = DEFAULT_SETTLE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = os.path.abspath(folder)
        self.journal = journal
        self.service = service
        self.store = store
        self.settle_s = settle_s
        self.clock = clock
        self._seen: dict[str, tuple[int, int, float]] = {}  # path -> size, mtime, since

    def _ready(self, path: str) -> Key | None:
        """The file's key when it is complete (unchanged for settle_s and openable)."""
        try:
            st = os.stat(path)
        except OSError:
            self._seen.pop(path, None)
            return None
        now = self.clock()
        size, mtime = st.st_size, st.st_mtime_ns
        previous = self._seen.get(path)
        if previous is None or previous[:2] != (size, mtime):
            self._seen[path] = (size, mtime, now)
            return None
        if now - previous[2] < self.settle_s or size == 0 or not can_open(path):
            return None
        return (path, size, mtime)

    def poll(self) -> list[WatchEvent]:
        """One look at the folder: every complete file not yet read is read (and saved)."""
        events: list[WatchEvent] = []
        for path in list_images(self.folder):
            key = self._ready(path)
            if key is not None and self.journal.state(key) not in FINAL:
                events.append(self._read(key))
        return events

    def _read(self, key: Key) -> WatchEvent:
        path = key[0]
        sha = file_sha256(path)
        self.journal.record(key, "claimed", sha256=sha)
        known = self.store.find_same_image(file_sha256=sha) if sha else []
        if known:  # saved before a crash, or the same file under another name
            self.journal.record(key, "done", sha256=sha, reading_id=known[0].id, again=False)
            return WatchEvent(path, "skipped", known[0].id, reason="already in the history")
        try:
            outcome = self.service.read_file(path, save=True)
        except PermissionDeniedError as exc:  # signed out meanwhile: read once signed in again
            self._seen.pop(path, None)
            return WatchEvent(path, "failed", reason=exc.message)
        except CxrError as exc:
            log.info("watched folder: %s not read: %s", describe_file(path), redact(exc.detail))
            self.journal.record(key, "skipped", sha256=sha, reason=exc.message)
            return WatchEvent(path, "skipped", reason=exc.message)
        if outcome.save_error is not None:  # not final: tried again at the next poll
            self._seen.pop(path, None)
            return WatchEvent(path, "failed", reason=outcome.save_error.message)
        reading = outcome.reading
        self.journal.record(key, "done", sha256=sha, reading_id=reading.id)
        return WatchEvent(path, "done", reading.id, label=reading.label,
                          uncertain=reading.uncertain)
