"""Which history this PC uses (issue 15): the embedded file (the default) or a clinic server.

``CXR_DESKTOP_DATABASE`` decides when set (``postgresql://user@server:5432/cxr?sslmode=...``;
empty or ``local``: the file); else Settings > Shared clinic database, kept in
``clinic-database.json`` in the data folder (0600, never the password: that is in the keyring
or its own 0600 file, ``service.credentials``). The CLI and the window read the same.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import quote

from cxr_desktop import paths
from cxr_desktop.private_files import make_private_dir, write_private

log = logging.getLogger(__name__)

ENV = "CXR_DESKTOP_DATABASE"
FILE_NAME = "clinic-database.json"
OUTBOX_NAME = "outbox.sqlite3"
SSL_MODES = ("verify-full", "verify-ca", "require", "prefer", "disable")


@dataclass(frozen=True)
class ClinicDatabase:
    """Settings > Shared clinic database (no password here)."""

    enabled: bool = False
    host: str = ""
    port: int = 5432
    database: str = "cxr"
    user: str = "cxr_app"
    sslmode: str = "verify-full"
    sslrootcert: str = ""  # the clinic's CA certificate (set-up script), for verify-full

    def url(self) -> str:
        query = [f"sslmode={quote(self.sslmode)}"]
        if self.sslrootcert:
            query.append(f"sslrootcert={quote(self.sslrootcert)}")
        return (f"postgresql://{quote(self.user)}@{self.host}:{int(self.port)}/"
                f"{quote(self.database)}?{'&'.join(query)}")

    @property
    def credential_key(self) -> str:
        return f"{self.user}@{self.host}:{int(self.port)}/{self.database}"


def config_path() -> Path:
    return paths.data_dir() / FILE_NAME


def outbox_path() -> Path:
    return paths.data_dir() / OUTBOX_NAME


def load() -> ClinicDatabase:
    path = config_path()
    if not path.is_file():
        return ClinicDatabase()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(ClinicDatabase)}
        return ClinicDatabase(**{k: v for k, v in raw.items() if k in known})
    except (OSError, ValueError, TypeError):
        log.warning("clinic database settings unreadable: using the history on this PC")
        return ClinicDatabase()


def save(config: ClinicDatabase) -> None:
    make_private_dir(paths.data_dir())
    write_private(config_path(), json.dumps(asdict(config), indent=2))


def database_url() -> str | None:
    """The clinic server's URL, or None for the history file on this PC."""
    value = os.environ.get(ENV)
    if value is not None:
        value = value.strip()
        return value if value and value.lower() not in ("local", "sqlite") else None
    config = load()
    return config.url() if config.enabled and config.host else None


def stored_password() -> str | None:
    """The saved password of the configured server (None: none saved, or the URL from the
    environment, which carries its own or relies on ~/.pgpass / PGPASSWORD)."""
    if os.environ.get(ENV) is not None:
        return None
    config = load()
    if not config.enabled:
        return None
    from cxr_desktop.service.credentials import get_password

    return get_password(config.credential_key)


def test_connection(config: ClinicDatabase, password: str | None) -> str:
    """Connect once, changing nothing (blocks up to the connect timeout: call it off the GUI
    thread); a sentence for people. Raises StorageError with the reason when it fails."""
    from cxr_desktop.core.storage.postgresql.connection import probe
    from cxr_desktop.i18n import _

    location, version = probe(config.url(), password)
    if version == 0:
        return _("Connected to {server}, but it has no CXR Desktop history yet. Its "
                 "administrator makes it with cxr-desktop history migrate --to.").format(
                     server=location)
    return _("Connected to {server}: the clinic history is there (schema version {version})."
             ).format(server=location, version=version)
