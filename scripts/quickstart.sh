#!/usr/bin/env bash
# Install egov-qa into .venv, index the shipped corpus and answer two first questions.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "egov-qa needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
[ -d .venv ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e .

egov-qa ingest corpus/ --index index/
egov-qa ask "Apa hambatan utama e-government di Indonesia?" -k 3
egov-qa ask "What are the main obstacles to e-government in Indonesia?" -k 3
