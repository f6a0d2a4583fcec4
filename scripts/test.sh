#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the whole test suite, on every core (up to 4).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/pytest_workers.sh
exec .venv/bin/python -m pytest tests "${workers[@]}" "$@"
