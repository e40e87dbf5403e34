#!/usr/bin/env bash
# Set everything up (first run only takes a while) and start CXR Desktop with the bundled model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/cxr-desktop "$@"
