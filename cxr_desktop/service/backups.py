"""Backups as the person sees them (issue 14): where they go, and one every day the app is used.

* The backup folder is a setting shared by the window and the command line, kept in
  ``backup-settings.json`` in the data folder (0600): a USB drive's folder, say. Without it, the
  history's own ``backups`` folder. ``CXR_DESKTOP_BACKUP_DIR`` overrides both (tests, admins).
* ``daily_backup``: a copy unless one was made today (local date); the store verifies and rotates.
* A folder the person chose that is not there (the USB drive is not plugged in) is never created:
  the backup then fails with a message saying so.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path

from cxr_desktop import paths
from cxr_desktop.core.storage import BackupError, BackupInfo, HistoryStore, default_backup_folder
from cxr_desktop.core.storage.safeguards import DAILY, MANUAL
from cxr_desktop.i18n import N_, _
from cxr_desktop.private_files import write_private

log = logging.getLogger(__name__)

SETTINGS_NAME = "backup-settings.json"
ENV_FOLDER = "CXR_DESKTOP_BACKUP_DIR"

FOLDER_MISSING = N_("The backup folder {folder} cannot be found. If it is on a USB drive, plug the "
                    "drive in; or choose another backup folder.")


def _settings_file() -> Path:
    return paths.data_dir() / SETTINGS_NAME


def chosen_folder() -> Path | None:
    """The folder the person chose (or the environment names), None for the default."""
    override = os.environ.get(ENV_FOLDER)
    if override:
        return Path(override).expanduser()
    try:
        value = json.loads(_settings_file().read_text(encoding="utf-8")).get("folder")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(value) if isinstance(value, str) and value else None


def backup_folder(history: Path | str | None = None) -> Path:
    """Where the backups of ``history`` (None: the default history) go."""
    return chosen_folder() or default_backup_folder(history)


def choose_folder(folder: Path | str | None) -> None:
    """Remember ``folder`` for the backups (None: back to the default)."""
    data = {"folder": str(Path(folder).expanduser().resolve())} if folder else {}
    paths.data_dir().mkdir(parents=True, exist_ok=True)
    write_private(_settings_file(), json.dumps(data))


def check_folder(folder: Path) -> None:
    """A chosen folder must exist (never made on the disk under a missing USB drive's path)."""
    if not folder.is_dir() and folder == chosen_folder():
        raise BackupError(_(FOLDER_MISSING).format(folder=folder), detail=str(folder))


def made_today(backups: list[BackupInfo], now: datetime | None = None) -> bool:
    today = (now or datetime.now().astimezone()).date()
    return any(b.reason == DAILY
               and datetime.fromisoformat(b.taken_utc).astimezone().date() == today
               for b in backups)


def daily_backup(store: HistoryStore, folder: Path | None = None,
                 now: datetime | None = None) -> BackupInfo | None:
    """Today's backup, unless there is one already (then None). Slow for a big history: call it
    off the GUI thread. Raises StorageError (BackupError)."""
    target = folder or backup_folder(store.info().location)
    check_folder(target)
    if made_today(store.backups(target), now):
        return None
    log.info("daily backup starting")
    return store.backup(target, DAILY)


def backup_now(store: HistoryStore, folder: Path | None = None) -> BackupInfo:
    target = folder or backup_folder(store.info().location)
    check_folder(target)
    return store.backup(target, MANUAL)
