#!/usr/bin/env bash
# Build dist/cxr-desktop_<version>_<arch>.deb from the one-folder build (dist/cxr-desktop-onedir,
# made by `packaging/build.sh onedir`). Needs only dpkg-deb (no debhelper): run it on the
# same Debian/Ubuntu release the package is for (the frozen app needs glibc >= the build's).
#
# Installs:
#   /opt/cxr-desktop/                         the app (executable + _internal/)
#   /usr/bin/cxr-desktop                      launcher (window, `predict`, `history`)
#   /usr/share/applications/cxr-desktop.desktop
#   /usr/share/icons/hicolor/{scalable,256x256}/apps/cxr-desktop.{svg,png}
#   /usr/share/mime/packages/cxr-desktop.xml  DICOM (*.dcm, "DICM" at byte 128)
#   /usr/share/doc/cxr-desktop/copyright
# Removal deletes all of it; each user's history (~/.local/share/cxr-desktop) is left alone.
#
# Depends lists only what the bundle takes from the system: glibc, OpenGL/EGL, libxcb, D-Bus,
# fontconfig/freetype, GLib (build.spec's HOST_LIBS). Every Debian/Ubuntu desktop has them, so
# the package installs on a PC with no internet. The other Qt/X11 helpers (xkbcommon,
# xcb-cursor, xcb-icccm, ...) are inside the bundle, not dependencies: a clinic PC offline could
# not download them. tests/packaging/test_deb.py checks this list against the build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/packaging/deb"
cd "$ROOT"

APP_DIR=dist/cxr-desktop-onedir
[ -x "$APP_DIR/cxr-desktop" ] || { echo "no one-folder build in $APP_DIR: run packaging/build.sh onedir" >&2; exit 1; }
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' cxr_desktop/__init__.py)
[ -n "$VERSION" ] || { echo "cannot read __version__ from cxr_desktop/__init__.py" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)
MAINTAINER=${DEB_MAINTAINER:-"CXR Desktop maintainers <cxr-desktop@users.noreply.github.com>"}
OUT="dist/cxr-desktop_${VERSION}_${ARCH}.deb"

STAGE=build/deb/root
rm -rf build/deb
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/icons/hicolor/256x256/apps" \
    "$STAGE/usr/share/mime/packages" "$STAGE/usr/share/doc/cxr-desktop"

cp -a "$APP_DIR" "$STAGE/opt/cxr-desktop"
install -m 0755 "$HERE/cxr-desktop.sh" "$STAGE/usr/bin/cxr-desktop"
install -m 0644 "$HERE/cxr-desktop.desktop" "$STAGE/usr/share/applications/cxr-desktop.desktop"
install -m 0644 assets/icons/app.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/cxr-desktop.svg"
install -m 0644 assets/icons/app.png "$STAGE/usr/share/icons/hicolor/256x256/apps/cxr-desktop.png"
install -m 0644 "$HERE/cxr-desktop-mime.xml" "$STAGE/usr/share/mime/packages/cxr-desktop.xml"
install -m 0644 "$HERE/copyright" "$STAGE/usr/share/doc/cxr-desktop/copyright"
install -m 0755 "$HERE/postinst" "$STAGE/DEBIAN/postinst"
install -m 0755 "$HERE/postrm" "$STAGE/DEBIAN/postrm"

# Files readable by all, writable by root only; executables and folders 0755.
chmod -R u+rwX,go+rX,go-w "$STAGE"

INSTALLED_KB=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$INSTALLED_KB/" \
    -e "s|@MAINTAINER@|$MAINTAINER|" "$HERE/control.in" > "$STAGE/DEBIAN/control"
(cd "$STAGE" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z \
    | xargs -0 md5sum) > "$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"

# zstd: ~10 s here; xz would take minutes for a few % smaller. --root-owner-group: every
# file owned by root:root whoever builds.
dpkg-deb --root-owner-group -Zzstd --build "$STAGE" "$OUT"
dpkg-deb --info "$OUT" | sed -n '1,/Description/p'
ls -la "$OUT"
