#!/usr/bin/env bash
# Install egov-qa with its test tools into .venv, lint, type-check and run every test (slow ones too).
# The browser test needs Debian's chromium (/usr/bin/chromium); .ci/run installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -d .venv ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e '.[test,cluster]'

ruff check src tests benchmarks app.py app_state.py app_render.py
mypy
python -m pytest -m "slow or not slow" "$@"
