"""Noticing that the history's journal files (``-wal``, ``-shm``) were deleted or replaced.

What SQLite does (measured with SQLite 3.40, ``tests/core/test_journal_loss.py``): nothing. A
connection keeps using the deleted files through its open descriptors, so it still sees every
reading, but a program that opens the history afterwards creates new, empty journal files, sees
only what was checkpointed into the main file, gives new readings the ids of readings it cannot
see, and the last connection to close deletes the other's journal: confirmed readings are lost.

So:
* ``FileIds``: the (device, inode) of the main file and its journal files, taken when the
  connections are opened and compared before every write (three ``stat`` calls).
* ``held_by_another_process``: whether another process holds SQLite's locks on a file (Linux
  ``/proc/locks``; no descriptor on the database is opened, which would drop this process's own
  POSIX locks on it). A history whose journal files are missing while another process holds
  locks on it has had its journal deleted under that process: it is not opened.
* a registry of the histories this process has open, per main file.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WAL_SUFFIX = "-wal"
SHM_SUFFIX = "-shm"
PROC_LOCKS = Path("/proc/locks")

Ident = tuple[int, int]


def sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def ident(path: Path) -> Ident | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


@dataclass(frozen=True)
class FileIds:
    main: Ident | None
    wal: Ident | None
    shm: Ident | None

    @classmethod
    def of(cls, path: Path) -> FileIds:
        return cls(ident(path), ident(sidecar(path, WAL_SUFFIX)), ident(sidecar(path, SHM_SUFFIX)))

    def change(self, now: FileIds) -> str | None:
        """What happened to the files since ``self`` was taken (for the log), or None."""
        for name, before, after in (("file", self.main, now.main), ("-wal", self.wal, now.wal),
                                    ("-shm", self.shm, now.shm)):
            if before is None:
                continue
            if after is None:
                return f"{name} deleted"
            if after != before:
                return f"{name} replaced"
        return None


def _proc_lock_holders(target: Ident) -> set[int] | None:
    """Process ids holding a POSIX or OFD lock on the file ``target`` (Linux), None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        text = PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    dev, ino = target
    holders: set[int] = set()
    for line in text.splitlines():
        fields = line.split()
        if "->" in fields:  # a process waiting for a lock, not holding one
            continue
        try:
            where = next(f for f in fields if f.count(":") == 2)
            major, minor, inode = where.split(":")
            pid = int(fields[fields.index(where) - 1])
        except (StopIteration, ValueError):
            continue
        if int(inode) == ino and os.makedev(int(major, 16), int(minor, 16)) == dev:
            holders.add(pid)
    return holders


def held_by_another_process(path: Path) -> bool | None:
    """True when another process holds a lock on ``path`` (a SQLite connection to it is open);
    None when this cannot be known here (not Linux, or no /proc)."""
    target = ident(path)
    if target is None:
        return False
    holders = _proc_lock_holders(target)
    if holders is None:
        return None
    holders.discard(os.getpid())
    return bool(holders)


def deleted_journal_sizes(path: Path) -> list[int] | None:
    """Sizes of the deleted ``-wal`` files of ``path`` that this process still has open (Linux:
    ``/proc/self/fd``); None when this cannot be known. An empty one holds nothing that the main
    file lacks (another process checkpointed and truncated it after the deletion)."""
    fds = Path("/proc/self/fd")
    if not sys.platform.startswith("linux") or not fds.is_dir():
        return None
    target = os.path.join(os.path.realpath(path.parent), path.name + WAL_SUFFIX) + " (deleted)"
    sizes = []
    for entry in os.listdir(fds):
        try:
            if os.readlink(fds / entry) == target:
                sizes.append(os.fstat(int(entry)).st_size)
        except (OSError, ValueError):
            continue
    return sizes


# -- this process's open histories ------------------------------------------------------------

_lock = threading.Lock()
_open: dict[Ident, weakref.WeakSet[Any]] = {}


def register(key: Ident | None, history: Any) -> None:
    if key is None:
        return
    with _lock:
        _open.setdefault(key, weakref.WeakSet()).add(history)


def unregister(key: Ident | None, history: Any) -> None:
    if key is None:
        return
    with _lock:
        group = _open.get(key)
        if group is not None:
            group.discard(history)
            if not group:
                del _open[key]


def open_here(path: Path) -> list[Any]:
    """The histories this process has open on the file at ``path``."""
    key = ident(path)
    with _lock:
        return list(_open.get(key, ())) if key is not None else []
