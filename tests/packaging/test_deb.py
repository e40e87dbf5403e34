"""The Debian package: its static files (always), the one-folder build's system dependencies and
the built .deb (when dist/ has them).

The dependency check is what keeps the .deb installable on a clinic PC with no internet: every
library the bundle takes from the system must come from a package in ``Depends`` (all present on
any Debian/Ubuntu desktop), and the bundle must not need a newer glibc than declared.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.packaging.conftest import BUILDS, DIST, REPO_ROOT

DEB_DIR = REPO_ROOT / "packaging" / "deb"

# Libraries the bundle may take from the system -> the Depends entry that provides them
# (directly, or as that package's own dependency).
SYSTEM_LIBS = {
    "libc.so.6": "libc6", "libm.so.6": "libc6", "libpthread.so.0": "libc6", "libdl.so.2": "libc6",
    "librt.so.1": "libc6", "libresolv.so.2": "libc6", "libutil.so.1": "libc6",
    "ld-linux-x86-64.so.2": "libc6",
    "libGL.so.1": "libgl1", "libGLX.so.0": "libgl1", "libGLdispatch.so.0": "libgl1",
    "libEGL.so.1": "libegl1",
    "libxcb.so.1": "libxcb1",
    "libdbus-1.so.3": "libdbus-1-3", "libsystemd.so.0": "libdbus-1-3",
    "libgcrypt.so.20": "libdbus-1-3", "libgpg-error.so.0": "libdbus-1-3",
    "liblz4.so.1": "libdbus-1-3", "libcap.so.2": "libdbus-1-3", "libzstd.so.1": "libdbus-1-3",
    "liblzma.so.5": "libdbus-1-3",
    "libfontconfig.so.1": "libfontconfig1", "libexpat.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libpng16.so.16": "libfreetype6",
    "libbrotlidec.so.1": "libfreetype6", "libbrotlicommon.so.1": "libfreetype6",
    "libz.so.1": "libfreetype6", "libbz2.so.1.0": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
    "libpcre2-8.so.0": "libglib2.0-0",
}  # fmt: skip


#: Plugins Qt loads only for an optional feature -> the Recommends package that brings every
#: library they need (printing: without libcups2 the print dialog offers PDF only).
OPTIONAL_PLUGINS = {"PySide6/Qt/plugins/printsupport/libcupsprintersupport.so": "libcups2"}


def _control_depends(field: str = "Depends") -> dict[str, str]:
    """Package -> version constraint ('' when none) from control.in."""
    text = (DEB_DIR / "control.in").read_text(encoding="utf-8")
    line = re.search(rf"^{field}:(.*)$", text, re.M)
    assert line is not None
    out = {}
    for item in line.group(1).split(","):
        m = re.match(r"\s*([a-z0-9.+-]+)\s*(\(.*\))?", item)
        assert m, item
        out[m.group(1)] = (m.group(2) or "").strip("() ")
    return out


# ------------------------------------------------------------------------- static (no build)


def test_desktop_entry() -> None:
    text = (DEB_DIR / "cxr-desktop.desktop").read_text(encoding="utf-8")
    assert text.startswith("[Desktop Entry]\n")
    keys = dict(line.split("=", 1) for line in text.splitlines()[1:] if "=" in line)
    assert keys["Type"] == "Application" and keys["Exec"].startswith("cxr-desktop ")
    assert keys["Icon"] == "cxr-desktop" and keys["Terminal"] == "false"
    assert "application/dicom" in keys["MimeType"].split(";")
    assert keys["Categories"].endswith(";") and keys["MimeType"].endswith(";")


def test_mime_type_dicom() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(DEB_DIR / "cxr-desktop-mime.xml").getroot()
    mime = root.find("m:mime-type[@type='application/dicom']", ns)
    assert mime is not None
    assert {g.get("pattern") for g in mime.findall("m:glob", ns)} >= {"*.dcm"}
    match = mime.find("m:magic/m:match", ns)
    assert match is not None
    assert (match.get("type"), match.get("value"), match.get("offset")) == ("string", "DICM", "128")


def test_maintainer_scripts_are_posix_sh() -> None:
    for name in ("postinst", "postrm", "cxr-desktop.sh"):
        path = DEB_DIR / name
        assert path.read_text(encoding="utf-8").startswith("#!/bin/sh\n"), name
        assert path.stat().st_mode & 0o111, f"{name} is not executable"
        if shutil.which("sh"):
            assert subprocess.run(["sh", "-n", str(path)]).returncode == 0, name


# ---------------------------------------------------------------------------- needs a build


def _bundle_libraries(internal: Path) -> list[Path]:
    return [p for p in internal.rglob("*") if p.is_file() and not p.is_symlink()
            and (p.suffix == ".so" or ".so." in p.name)]


@pytest.mark.packaging
def test_system_libraries_are_declared_dependencies() -> None:
    """Every library the one-folder build resolves outside itself is provided by Depends."""
    exe = BUILDS["onedir"]
    if not exe.is_file():
        pytest.skip(f"no one-folder build at {exe} (packaging/build.sh onedir)")
    if shutil.which("ldd") is None:
        pytest.skip("ldd is not available")
    internal = exe.parent / "_internal"
    env = {"LD_LIBRARY_PATH": str(internal), "PATH": "/usr/bin:/bin"}
    outside: dict[str, set[str]] = {}
    for lib in _bundle_libraries(internal):
        out = subprocess.run(["ldd", str(lib)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            m = re.match(r"\s*(\S+) => (\S+)", line)
            if m and m.group(2) == "not":
                pytest.fail(f"{lib.relative_to(internal)} needs {m.group(1)}, found nowhere")
            if m and not m.group(2).startswith(str(internal)):
                outside.setdefault(m.group(1), set()).add(str(lib.relative_to(internal)))
    depends, recommends = _control_depends(), _control_depends("Recommends")

    def covered(name: str, needed_by: set[str]) -> bool:
        if SYSTEM_LIBS.get(name) in depends:
            return True
        return all(OPTIONAL_PLUGINS.get(who) in recommends for who in needed_by)

    undeclared = {name: sorted(who) for name, who in outside.items() if not covered(name, who)}
    assert not undeclared, f"system libraries not covered by Depends (needed by): {undeclared}"


@pytest.mark.packaging
def test_glibc_requirement_matches_depends() -> None:
    """No bundled file needs a newer glibc than ``libc6 (>= X)`` in Depends."""
    exe = BUILDS["onedir"]
    if not exe.is_file():
        pytest.skip(f"no one-folder build at {exe} (packaging/build.sh onedir)")
    if shutil.which("objdump") is None:
        pytest.skip("objdump is not available (binutils)")
    declared = _control_depends()["libc6"].split()[-1]
    newest = (0, 0)
    for lib in [exe, *_bundle_libraries(exe.parent / "_internal")]:
        out = subprocess.run(["objdump", "-T", str(lib)], capture_output=True, text=True).stdout
        for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", out):
            newest = max(newest, (int(major), int(minor)))
    assert newest <= tuple(int(x) for x in declared.split(".")), (newest, declared)


def _deb() -> Path:
    debs = sorted(DIST.glob("cxr-desktop_*.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        pytest.skip("no .deb in dist/ (packaging/deb/build_deb.sh)")
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not available")
    return debs[-1]


@pytest.mark.packaging
def test_deb_contents_and_control() -> None:
    deb = _deb()
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    names = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    names |= {line.split()[-3].lstrip(".") for line in listing.splitlines() if " -> " in line}
    for path in ("/opt/cxr-desktop/cxr-desktop", "/usr/bin/cxr-desktop",
                 "/usr/share/applications/cxr-desktop.desktop",
                 "/usr/share/icons/hicolor/scalable/apps/cxr-desktop.svg",
                 "/usr/share/icons/hicolor/256x256/apps/cxr-desktop.png",
                 "/usr/share/mime/packages/cxr-desktop.xml",
                 "/usr/share/doc/cxr-desktop/copyright"):
        assert path in names, f"{path} missing from {deb.name}"
    owners = {tuple(line.split()[1].split("/")) for line in listing.splitlines()}
    assert owners == {("root", "root")}, owners
    control = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    from cxr_desktop import __version__

    assert f"Version: {__version__}\n" in control and "Package: cxr-desktop\n" in control
    for pkg in _control_depends():
        assert pkg in control
