#!/usr/bin/env bash
# Creates .venv and installs roi-ops (compiling the library) with its test dependencies.
# Everything the build needs is fetched by the build itself: scikit-build-core from PyPI, CMake
# from PyPI if the machine has none, and onnxruntime's headers (cmake/fetch_onnxruntime_headers.py).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
echo "setup: installing roi-ops and its test dependencies into .venv (the first run compiles the library: minutes)" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c scripts/constraints.txt ".[test]"
