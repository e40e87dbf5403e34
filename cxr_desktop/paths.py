"""The one place that knows where things live.

Environment overrides (checked every call, so tests can set them):
  CXR_DESKTOP_HOME       user data + logs go here instead of the platform's user dirs
  CXR_DESKTOP_MODEL_DIR  folder holding the .onnx model and model_card.json
  CXR_DATA_DIR           the shared data folder (cxr3/, samples/) used by tests, training, bench
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_SLUG = "cxr-desktop"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resource_root() -> Path:
    """Folder that holds ``assets/``: the PyInstaller bundle when frozen, else the source tree."""
    if is_frozen():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def model_dir() -> Path:
    override = os.environ.get("CXR_DESKTOP_MODEL_DIR")
    return Path(override) if override else resource_path("assets", "model")


def icon_path(name: str = "app.svg") -> Path:
    return resource_path("assets", "icons", name)


def _home_override() -> Path | None:
    value = os.environ.get("CXR_DESKTOP_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Where the history database lives (not created here)."""
    home = _home_override()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_SLUG, appauthor=False))


def log_dir() -> Path:
    home = _home_override()
    if home is not None:
        return home / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_SLUG, appauthor=False))


def database_path() -> Path:
    return data_dir() / "history.sqlite3"


def shared_data_dir() -> Path:
    """The shared real data (never copied into the repo): ``$CXR_DATA_DIR`` or ``../shared/data``."""
    override = os.environ.get("CXR_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"
