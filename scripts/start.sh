#!/usr/bin/env bash
# Start CXR Desktop with the bundled model. The first start sets everything up (system libraries,
# .venv, the package; that needs the internet once); later starts only check that this is done,
# in well under a second, and work with no network at all.
# CXR_DESKTOP_SMOKE_TEST=1 runs the window's smoke test instead (it opens, checks and quits).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/cxr-desktop "$@"
