#!/usr/bin/env bash
# A plain `pip install` of roi-ops (no extras) into a fresh venv, driven from outside the
# repository by tests/test_plain_install.py: every subcommand runs or names the extra it needs.
# Expects scripts/setup.sh to have run (.venv holds pytest and the build tools).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== plain install into a fresh venv"
.venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$work/wheel" .
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check -c scripts/constraints.txt \
  "$work"/wheel/roi_ops-*.whl
ROI_OPS_PLAIN_PYTHON="$work/venv/bin/python" .venv/bin/python -m pytest tests/test_plain_install.py \
  -p no:cacheprovider "$@"
