#!/usr/bin/env bash
# Set everything up and run the whole test suite (lint, import contracts, pytest incl. GUI tests offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check cxr_desktop training tests bench
.venv/bin/lint-imports
.venv/bin/python -m pytest -q -p no:cacheprovider --junitxml=.pytest-results.xml "$@"
