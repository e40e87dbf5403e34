"""The clinic database password: in the system keyring where there is one (the optional
``keyring`` package and a working backend: Windows Credential Manager, macOS Keychain, Secret
Service), else in a 0600 file in the data folder. Never logged, never in the settings file.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from cxr_desktop import paths
from cxr_desktop.private_files import make_private_dir, write_private

log = logging.getLogger(__name__)

SERVICE = "cxr-desktop clinic database"
FILE_NAME = "clinic-database.secret"


def _keyring():
    """The keyring module when it has a real backend, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring set-up: fall back to the file
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not chained:
        return None
    return keyring


def where_kept() -> str:
    return "keyring" if _keyring() is not None else "file"


def _file() -> Path:
    return paths.data_dir() / FILE_NAME


def _read_file() -> dict[str, str]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def set_password(key: str, password: str) -> str:
    """Keep the password; returns where ("keyring" or "file")."""
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(SERVICE, key, password)
            _forget_in_file(key)
            return "keyring"
        except Exception:  # noqa: BLE001 - e.g. a locked keyring: fall back to the file
            log.warning("the system keyring refused the password; keeping it in a private file")
    data = _read_file()
    data[key] = password
    make_private_dir(paths.data_dir())
    write_private(_file(), json.dumps(data))
    return "file"


def get_password(key: str) -> str | None:
    ring = _keyring()
    if ring is not None:
        try:
            found = ring.get_password(SERVICE, key)
            if found is not None:
                return str(found)
        except Exception:  # noqa: BLE001
            log.warning("the system keyring could not be read; trying the private file")
    return _read_file().get(key)


def delete_password(key: str) -> None:
    ring = _keyring()
    if ring is not None:
        try:
            ring.delete_password(SERVICE, key)
        except Exception:  # noqa: BLE001 - not there
            pass
    _forget_in_file(key)


def _forget_in_file(key: str) -> None:
    data = _read_file()
    if key in data:
        del data[key]
        write_private(_file(), json.dumps(data))
