"""AppSettings: typed access to QSettings (window state, recent files, viewer options, disclaimer).

With ``CXR_DESKTOP_HOME`` set (tests, portable installs) the settings are an INI file in that
folder; otherwise the platform's native store under the organisation/application name.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from cxr_desktop import paths
from cxr_desktop.private_files import tighten

ORGANIZATION = "CXR Desktop"
APPLICATION = "CXR Desktop"
MAX_RECENT = 10
DISCLAIMER_VERSION = 1


def open_qsettings() -> QSettings:
    home = os.environ.get("CXR_DESKTOP_HOME")
    if home:
        settings = QSettings(str(paths.data_dir() / "settings.ini"), QSettings.Format.IniFormat)
    else:
        settings = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                             ORGANIZATION, APPLICATION)
    tighten_settings_file(settings.fileName())
    return settings


def tighten_settings_file(name: str) -> None:
    """Settings written by an older version: the file 0600, its own folder 0700 (POSIX)."""
    path = Path(name)
    tighten(path)
    if path.parent.name == ORGANIZATION:
        tighten(path.parent)


def _to_bool(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else open_qsettings()

    def sync(self) -> None:
        self.q.sync()

    # first run
    @property
    def disclaimer_accepted(self) -> bool:
        return int(self.q.value("disclaimer/accepted_version", 0) or 0) >= DISCLAIMER_VERSION

    def accept_disclaimer(self) -> None:
        self.q.setValue("disclaimer/accepted_version", DISCLAIMER_VERSION)
        self.q.sync()

    # recent files
    def recent_files(self) -> list[str]:
        value = self.q.value("files/recent", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent_file(self, path: str) -> None:
        files = [path, *[f for f in self.recent_files() if f != path]][:MAX_RECENT]
        self.q.setValue("files/recent", files)

    def clear_recent_files(self) -> None:
        self.q.setValue("files/recent", [])

    # last folder used in file dialogs
    @property
    def last_dir(self) -> str:
        return str(self.q.value("files/last_dir", "") or "")

    @last_dir.setter
    def last_dir(self, folder: str) -> None:
        self.q.setValue("files/last_dir", folder)

    # viewer
    @property
    def heatmap_visible(self) -> bool:
        return _to_bool(self.q.value("viewer/heatmap_visible"), True)

    @heatmap_visible.setter
    def heatmap_visible(self, value: bool) -> None:
        self.q.setValue("viewer/heatmap_visible", bool(value))

    @property
    def heatmap_opacity(self) -> int:
        try:
            return min(100, max(0, int(self.q.value("viewer/heatmap_opacity", 45))))
        except (TypeError, ValueError):
            return 45

    @heatmap_opacity.setter
    def heatmap_opacity(self, percent: int) -> None:
        self.q.setValue("viewer/heatmap_opacity", int(percent))

    # issue 13: the language of the window ("" = the system's), applied when the app starts
    @property
    def language(self) -> str:
        return str(self.q.value("ui/language", "") or "")

    @language.setter
    def language(self, code: str) -> None:
        self.q.setValue("ui/language", code or "")

    # window
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.q.value("window/geometry")
        state = self.q.value("window/state")
        return (geometry if isinstance(geometry, QByteArray) else None,
                state if isinstance(state, QByteArray) else None)

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)
