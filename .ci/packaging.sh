#!/usr/bin/env bash
# CI, packaging: build the one-file and one-folder apps and the .deb, test them frozen and
# installed (command line with no display, GUI smoke test offscreen and on Xvfb, both inside a
# network namespace with no interfaces), remove the package and check nothing is left.
# Called by .ci/run after the unit tests (needs the venv from scripts/setup.sh dev); as root on
# Debian 12 (apt-get installs the .deb). About 4-6 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PY=${PYTHON:-.venv/bin/python}
start=$(date +%s)
step() { echo; echo "== packaging: $* ($(( $(date +%s) - start )) s)"; }

step "tools"
# Everything the build and these checks need comes from `scripts/setup.sh dev` (run by
# scripts/test.sh before this), as the README's build steps say: nothing is installed here,
# so a package missing from setup.sh fails CI instead of being hidden by it.
for tool in strace objdump xvfb-run unshare zstd dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "CI: $tool is missing: scripts/setup.sh dev must install it" >&2; exit 1; }
done
# PyInstaller needs the shared libpython (Debian's python3 has it built in: libpython3.X).
"$PY" - <<'PY' || { echo "CI: no shared libpython: scripts/setup.sh dev must install libpython3.X" >&2; exit 1; }
import os, sysconfig, subprocess, sys
name = sysconfig.get_config_var("INSTSONAME") or f"libpython{sys.version_info[0]}.{sys.version_info[1]}.so.1.0"
libdir = sysconfig.get_config_var("LIBDIR") or ""
found = os.path.exists(os.path.join(libdir, name)) or name in subprocess.run(
    ["ldconfig", "-p"], capture_output=True, text=True).stdout
sys.exit(0 if found else 1)
PY

spec_args=()
if [ ! -f assets/model/model_card.json ]; then
    echo "WARNING: assets/model has no trained model: building a TEST package without one" >&2
    spec_args+=(--allow-no-model)
fi

step "PyInstaller: one file and one folder"
rm -rf dist/cxr-desktop dist/cxr-desktop-onedir
PYTHON="$PY" bash packaging/build.sh both "${spec_args[@]}"
size=$(stat -c %s dist/cxr-desktop)
echo "one-file executable: $size bytes ($(( size / 1000000 )) MB; target <= 80 MB)"
[ "$size" -le 80000000 ] || echo "WARNING: the one-file executable is over 80 MB" >&2

step "frozen app tests (command line, GUI smoke, no network)"
"$PY" -m pytest -q -p no:cacheprovider -m packaging tests/packaging -k "onefile or onedir"

step ".deb"
bash packaging/deb/build_deb.sh
deb=$(ls -t dist/cxr-desktop_*.deb | head -1)
(cd dist && sha256sum "$(basename "$deb")" cxr-desktop > SHA256SUMS && cat SHA256SUMS)

step "install the .deb with apt"
apt-get install -y -qq "./$deb" >/dev/null
test -x /opt/cxr-desktop/cxr-desktop
test -x /usr/bin/cxr-desktop
test -f /usr/share/applications/cxr-desktop.desktop
test -f /usr/share/icons/hicolor/scalable/apps/cxr-desktop.svg
test -f /usr/share/icons/hicolor/256x256/apps/cxr-desktop.png
test -f /usr/share/mime/packages/cxr-desktop.xml
if command -v update-mime-database >/dev/null; then
    grep -q '\*\.dcm' /usr/share/mime/globs2   # the DICOM glob reached the MIME database
fi
cxr-desktop --version

step "installed app: predict (no display), GUI smoke test, both without network"
model_env=()
if [ ! -f assets/model/model_card.json ]; then
    tiny=$(mktemp -d)
    "$PY" -c "from tests.helpers import build_tiny_model; from pathlib import Path; build_tiny_model(Path('$tiny'))"
    model_env=(CXR_DESKTOP_MODEL_DIR="$tiny")
fi
home=$(mktemp -d)
samples=$("$PY" -c "from cxr_desktop.paths import shared_data_dir; print(shared_data_dir() / 'samples')")
one=$(ls "$samples"/Normal/* | head -1)
run() { env -u DISPLAY -u WAYLAND_DISPLAY CXR_DESKTOP_HOME="$home" "${model_env[@]}" "$@"; }
out=$(mktemp)
run cxr-desktop predict --json "$samples"/*/ > "$out"
head -3 "$out"
[ "$(grep -c '"label"' "$out")" -eq 12 ]
if grep -q '"error"' "$out"; then echo "predict reported errors" >&2; exit 1; fi
run QT_QPA_PLATFORM=offscreen cxr-desktop --smoke-test "$one" | tail -1
if unshare -n true 2>/dev/null; then
    run unshare -n -- cxr-desktop predict --json "$one"
    run QT_QPA_PLATFORM=offscreen unshare -n -- cxr-desktop --smoke-test "$one" | tail -1
else  # a container without CAP_SYS_ADMIN: the strace tests below still check for sockets
    echo "WARNING: unshare -n is not permitted here; skipping the no-network-namespace runs" >&2
fi
CXR_FROZEN_EXE=/usr/bin/cxr-desktop "$PY" -m pytest -q -p no:cacheprovider \
    -m packaging tests/packaging -k installed

step "figures (bench, informative)"
"$PY" -m bench.packaging --runs 3 || echo "WARNING: the packaging bench failed" >&2

step "remove the package"
apt-get remove -y -qq cxr-desktop >/dev/null
for path in /opt/cxr-desktop /usr/bin/cxr-desktop /usr/share/applications/cxr-desktop.desktop \
        /usr/share/mime/packages/cxr-desktop.xml /usr/share/icons/hicolor/scalable/apps/cxr-desktop.svg; do
    if [ -e "$path" ]; then echo "left behind after removal: $path" >&2; exit 1; fi
done
if dpkg-query -W -f='${Status}' cxr-desktop 2>/dev/null | grep -q "install ok installed"; then
    echo "cxr-desktop is still installed" >&2; exit 1
fi
rm -rf "$home" "$out"

step "done"
ls -la dist/
