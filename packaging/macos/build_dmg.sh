#!/usr/bin/env bash
# Build "CXR Desktop.app" and dist/cxr-desktop-<version>-macos-<arch>.dmg. Runs on macOS only
# (PyInstaller cannot cross-compile): .github/workflows/release.yml runs it on macos-latest.
# NOT run or tested on the development machine (Linux): see docs/INSTALL.md.
#
# The .app comes from build.spec's BUNDLE step (one-folder build; icon from assets/icons/app.png,
# which PyInstaller converts to .icns; .dcm registered as a document type). The image is
# unsigned and not notarized: the first start needs right-click > Open (see docs/INSTALL.md),
# until a Developer ID is available (then: codesign --deep --options runtime, notarytool).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' cxr_desktop/__init__.py)
ARCH=$(uname -m)
APP="dist/CXR Desktop.app"
DMG="dist/cxr-desktop-${VERSION}-macos-${ARCH}.dmg"

"$PYTHON" -m PyInstaller --noconfirm --workpath build/onedir build.spec -- --onedir "$@"
test -d "$APP"

# Check the bundle before packing it: the window opens (offscreen) and quits by itself.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/cxr-desktop" --smoke-test

STAGE=build/dmg
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"   # drag-and-drop install
hdiutil create -volname "CXR Desktop" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
shasum -a 256 "$DMG"
