#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the demo on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/roi-ops demo --models models --output demo_output
