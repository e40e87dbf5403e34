#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for CXR Desktop: system libraries Qt needs, a venv, the package.
#   scripts/setup.sh            runtime only (to run the app)
#   scripts/setup.sh dev        + test, lint, packaging (PyInstaller, .deb) and training tools
#
# Once set up it works offline: when every system package is there and .venv holds this
# checkout's package installed from this very pyproject.toml (a stamp in .venv records its
# sha256 and the extras), nothing is installed or downloaded. A changed pyproject.toml, or a
# missing or foreign .venv, sets up again (that needs the internet).
#
# Downloads (README, "Set-up: what it downloads"): runtime about 150 MB of Python wheels; dev
# about 400 MB with the CPU-only torch (192 MB). PyPI itself serves torch's CUDA build for
# Linux (about 3.4 GB with its nvidia-* wheels): TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# installs the CPU build from PyTorch's own index first.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
case "$extras" in ""|dev) ;; *) echo "usage: $0 [dev]" >&2; exit 2 ;; esac
STAMP=.venv/.cxr-desktop-setup

APT_PACKAGES=(
  python3 python3-venv python3-pip
  # Qt (PySide6) on a bare system: OpenGL/EGL, fonts, D-Bus, keyboard, X11/xcb for a real display
  libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 fonts-dejavu-core libglib2.0-0 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-randr0
)
if [ "$extras" = "dev" ]; then
  # Xvfb for screenshots/GUI tests in a real X server; binutils (objdump, strip) for PyInstaller;
  # zstd and dpkg-dev for the .deb; util-linux (unshare) and strace for the no-network tests.
  # poppler-utils (pdftoppm): the screenshot script draws the report PDF's first page.
  APT_PACKAGES+=(xvfb xauth binutils zstd dpkg-dev util-linux strace poppler-utils)
  # issue 13: a real window manager for the screen tests (title bars, placement, framing)
  APT_PACKAGES+=(openbox)
  # A PostgreSQL server (initdb, pg_ctl) that the clinic-network tests start in a temp folder.
  APT_PACKAGES+=(postgresql)
fi

missing_packages() {  # the names in "$@" that dpkg does not have installed
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

apt_install() {  # install what is missing of "$@" (apt-get update only when something is)
  command -v apt-get >/dev/null 2>&1 || return 0
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [ "${#missing[@]}" -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install "${APT_PACKAGES[@]}"
if [ "$extras" = "dev" ] && command -v apt-get >/dev/null 2>&1; then
  # PyInstaller needs the shared libpython; Debian's python3 binary has it built in, so the
  # shared library is a package of its own: libpython3.11 on Debian 12.
  apt_install "libpython$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
fi

wanted_stamp() {
  printf 'pyproject=%s\nextras=%s\n' "$(sha256sum pyproject.toml | cut -d' ' -f1)" "$1"
}

already_set_up() {
  [ -x .venv/bin/python ] && [ -x .venv/bin/cxr-desktop ] && [ -f "$STAMP" ] || return 1
  # "dev" includes the runtime set-up.
  [ "$(cat "$STAMP")" = "$(wanted_stamp "$extras")" ] \
    || { [ -z "$extras" ] && [ "$(cat "$STAMP")" = "$(wanted_stamp dev)" ]; } || return 1
  # The package the venv imports is this checkout's (-I: not from the current folder).
  .venv/bin/python -I -c 'import os, sys, cxr_desktop
here = os.path.realpath(sys.argv[1]) + os.sep
sys.exit(0 if os.path.realpath(cxr_desktop.__file__).startswith(here) else 1)' "$PWD" 2>/dev/null
}

if already_set_up; then
  exit 0
fi

offline_hint() {
  echo "error: setting up CXR Desktop's Python packages failed. The first set-up, and the one" \
       "after pyproject.toml changes, downloads packages: it needs the internet once." >&2
  exit 1
}
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
rm -f "$STAMP"
echo "Setting up the Python packages in .venv (downloads them the first time)..." >&2
.venv/bin/python -m pip install -q --upgrade pip || offline_hint
if [ "$extras" = "dev" ]; then
  if [ -n "${TORCH_INDEX_URL:-}" ]; then
    torch_pin=$(sed -n 's/.*"\(torch==[^"]*\)".*/\1/p' pyproject.toml | head -1)
    .venv/bin/python -m pip install -q "${torch_pin:-torch}" --index-url "$TORCH_INDEX_URL" \
      || offline_hint
  fi
  .venv/bin/python -m pip install -q -e ".[dev,train]" || offline_hint
else
  .venv/bin/python -m pip install -q -e . || offline_hint
fi
wanted_stamp "$extras" > "$STAMP"
