"""Can the window open here? Asked before Qt is loaded.

With no display Qt's default (xcb) platform plugin aborts the whole process (exit status 134,
a core dump) after a message about ``xcb-cursor0`` that sends people looking for a library they
already have. Linux and other X11/Wayland systems only: Windows and macOS always have a screen.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: Qt platform plugins that draw without any display server.
_NO_DISPLAY_NEEDED = ("offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs",
                      "vkkhrdisplay")


def _wayland_socket(environ: Mapping[str, str]) -> bool:
    if environ.get("WAYLAND_DISPLAY"):
        return True
    runtime = environ.get("XDG_RUNTIME_DIR")
    return bool(runtime) and (Path(runtime) / "wayland-0").exists()


def _platform_usable(name: str, environ: Mapping[str, str]) -> bool:
    name = name.split(":", 1)[0].strip().lower()
    if name == "":
        return bool(environ.get("DISPLAY")) or bool(environ.get("WAYLAND_DISPLAY"))
    if name == "xcb":
        return bool(environ.get("DISPLAY"))
    if name.startswith("wayland"):
        return _wayland_socket(environ)
    return True  # offscreen, vnc, eglfs... or a plugin we do not know: let Qt decide


def missing_display_message(environ: Mapping[str, str] | None = None,
                            platform: str | None = None) -> str | None:
    """A plain message when the window cannot open for want of a display, else None."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    requested = environ.get("QT_QPA_PLATFORM", "")
    # QT_QPA_PLATFORM may list fallbacks: "wayland;xcb".
    if any(_platform_usable(name, environ) for name in requested.split(";")):
        return None
    if requested.strip():
        why = f"QT_QPA_PLATFORM is {requested.strip()!r}, but there is no such display here"
    else:
        why = "neither DISPLAY nor WAYLAND_DISPLAY is set"
    return (
        f"No display was found, so the CXR Desktop window cannot open ({why}). Start it from a "
        "desktop session. Without a screen, use the command line: cxr-desktop predict FILE, "
        "cxr-desktop history list. To run the window without showing it (tests), set "
        "QT_QPA_PLATFORM=offscreen."
    )
