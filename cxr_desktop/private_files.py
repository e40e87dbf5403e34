"""Private by default: on a PC shared by several accounts, no other account may read the history
(patient names, previews), its ``-wal``/``-shm`` files, the logs, the settings, exports or reports.

- :func:`secure_start`: at the start of the command line and of the window: the process's umask
  becomes 077 (everything it creates is private) and the app's existing folders and files, made by
  an older version or copied in, are tightened (folders 0700, files 0600);
- :func:`make_private_dir`: creates a missing folder 0700;
- :func:`open_private`: a file opened for writing that is 0600, whatever the umask and whatever it
  was before (log files, CSV exports);
- :func:`write_private`: a whole file written at once, atomically (temporary file, then rename),
  0600: for reports and other files made in one go;
- :func:`tighten` / :func:`tighten_sqlite`: group and other permissions removed from one existing
  file or folder of ours (a database and its ``-wal``, ``-shm``, ``-journal``).

POSIX only. On Windows a user's profile folders (``%LOCALAPPDATA%``) are private through their
ACLs and chmod only sets the read-only flag, so everything here leaves permissions alone there.
Tightening never follows a symbolic link, never touches what belongs to another account, and
never a shared folder (sticky bit, as ``/tmp``), the home folder or ``/``.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import IO, Any

from cxr_desktop import paths

PRIVATE_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
#: Files of the data folder that are the app's own (the folder may be a user's choice, through
#: CXR_DESKTOP_HOME, and hold other things).
DATA_FILE_PREFIXES = ("history.sqlite3", "settings.ini")
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")

_POSIX = os.name == "posix"


def restrict_umask() -> int | None:
    """Make the process's umask private (077, stricter bits kept); returns the old one (None
    where there is no umask to speak of)."""
    if not _POSIX:
        return None
    old = os.umask(PRIVATE_UMASK)
    os.umask(old | PRIVATE_UMASK)
    return old


def restore_umask(old: int | None) -> None:
    if old is not None:
        os.umask(old)


def _never_tightened(path: Path, st: os.stat_result) -> bool:
    if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        return True  # a shared folder such as /tmp
    try:
        resolved = path.resolve()
        return resolved == Path(resolved.anchor) or resolved == Path.home().resolve()
    except (OSError, RuntimeError):
        return True


def tighten(path: str | os.PathLike[str]) -> bool:
    """Remove group and other permissions from an existing file or folder of ours (owner bits
    are kept: a read-only file stays read-only). Returns whether it changed anything. Missing
    paths, links, other accounts' files and what cannot be changed are left alone."""
    if not _POSIX:
        return False
    target = Path(path)
    try:
        st = target.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid():
        return False
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return False
    if not st.st_mode & 0o077 or _never_tightened(target, st):
        return False
    try:
        os.chmod(target, stat.S_IMODE(st.st_mode) & ~0o077)
    except OSError:
        return False
    return True


def tighten_sqlite(database: str | os.PathLike[str]) -> None:
    """A SQLite database and its journal files. SQLite creates ``-wal``, ``-shm`` and
    ``-journal`` with the database file's permissions, so a private database stays private."""
    for suffix in SQLITE_SIDECARS:
        tighten(f"{os.fspath(database)}{suffix}")


def make_private_dir(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` (and missing parents) with 0700 for the folder itself; an existing
    folder is left as it is (:func:`secure_start` tightens the app's own)."""
    target = Path(folder)
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        if not target.is_dir():
            raise
    return target


def open_private(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = None,
                 errors: str | None = None, newline: str | None = None) -> IO[Any]:
    """``open(path, mode)`` for writing ("w", "a", "x", with "b" or "+"), the file 0600: created
    so, or tightened when it was there already."""
    if not any(m in mode for m in "wax"):
        raise ValueError(f"open_private is for writing, not mode {mode!r}")
    flags = os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    flags |= os.O_RDWR if "+" in mode else os.O_WRONLY
    if "a" in mode:
        flags |= os.O_APPEND
    elif "x" in mode:
        flags |= os.O_EXCL
    else:
        flags |= os.O_TRUNC
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        if _POSIX:
            st = os.fstat(fd)
            if st.st_mode & 0o077 and st.st_uid == os.geteuid():
                os.fchmod(fd, stat.S_IMODE(st.st_mode) & ~0o077)
        return os.fdopen(fd, mode, encoding=encoding, errors=errors, newline=newline)
    except BaseException:
        os.close(fd)
        raise


def write_private(path: str | os.PathLike[str], data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write the whole file ``path`` (0600) atomically: a temporary file beside it, flushed to
    disk, then renamed over it. On failure nothing is left behind and ``path`` is unchanged."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        with open_private(tmp, "xb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    return target


def tighten_app_files(data_folder: Path | None = None, log_folder: Path | None = None) -> None:
    """The data folder and the log folder 0700; the history (and its journal files), settings
    and log files in them 0600. Other files in a folder the user chose are not touched."""
    data = data_folder or paths.data_dir()
    logs = log_folder or paths.log_dir()
    for folder in (data, logs, logs.parent if logs.parent.name == paths.APP_SLUG else None):
        if folder is not None:
            tighten(folder)
    for child in _children(data):
        if child.name.startswith(DATA_FILE_PREFIXES):
            tighten(child)
    for child in _children(logs):
        if ".log" in child.name:
            tighten(child)


def _children(folder: Path) -> list[Path]:
    try:
        return [child for child in folder.iterdir() if not child.is_symlink()]
    except OSError:
        return []


def secure_start() -> int | None:
    """Private umask and the app's files tightened; returns the old umask (for tests and callers
    that run in-process and want it back)."""
    old = restrict_umask()
    tighten_app_files()
    return old
