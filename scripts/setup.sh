#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for CXR Desktop: system libraries Qt needs, a venv, the package.
#   scripts/setup.sh            runtime only (to run the app)
#   scripts/setup.sh dev        + test, lint, packaging and training tools (torch 2.13.0 CPU)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

APT_PACKAGES=(
  python3 python3-venv python3-pip
  # Qt (PySide6) on a bare system: OpenGL/EGL, fonts, D-Bus, keyboard, X11/xcb for a real display
  libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 fonts-dejavu-core libglib2.0-0 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-randr0
)
if [ "$extras" = "dev" ]; then
  # Xvfb for screenshots/GUI tests in a real X server; binutils for PyInstaller; zstd for the .deb
  APT_PACKAGES+=(xvfb xauth binutils zstd dpkg-dev util-linux)
fi

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$extras" = "dev" ]; then
  .venv/bin/python -m pip install -q -e ".[dev,train]"
else
  .venv/bin/python -m pip install -q -e .
fi
