#!/usr/bin/env bash
# Build the frozen app with PyInstaller (build.spec), on the system it is for (no cross builds).
#
#   packaging/build.sh            one file  -> dist/cxr-desktop      and
#                                 one folder -> dist/cxr-desktop-onedir/
#   packaging/build.sh onefile    only the one-file executable
#   packaging/build.sh onedir     only the one-folder build (what the installers ship)
#
# Extra arguments after the first go to build.spec (e.g. --allow-no-model for a test build
# before the model is trained). Uses $PYTHON (default: python) from the build environment,
# which needs the app's dependencies and pyinstaller (pip install -e ".[dev]").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
what=${1:-both}
shift || true

build() {  # $1: onefile|onedir, rest: spec arguments
    local kind=$1; shift
    local spec_args=("$@")
    [ "$kind" = onedir ] && spec_args=(--onedir "${spec_args[@]}")
    echo "== PyInstaller: $kind"
    # Separate work folders: the two builds do not invalidate each other's caches.
    "$PYTHON" -m PyInstaller --noconfirm --log-level WARN --workpath "build/$kind" \
        build.spec -- "${spec_args[@]}"
}

case "$what" in
    onefile) build onefile "$@" ;;
    onedir) build onedir "$@" ;;
    both) build onefile "$@"; build onedir "$@" ;;
    *) echo "usage: $0 [onefile|onedir|both] [spec arguments]" >&2; exit 2 ;;
esac
ls -la dist/
