#!/usr/bin/env bash
# Prints `export` lines that point CMake at a CUDA compiler: the machine's own (nvcc on PATH or
# in /usr/local/cuda), else one installed from NVIDIA's PyPI wheels into build/cuda-toolchain.
#   eval "$(bash scripts/cuda_toolchain.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v nvcc > /dev/null 2>&1; then
  echo "export CUDACXX=$(command -v nvcc)"
  exit 0
fi
if [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "export CUDACXX=/usr/local/cuda/bin/nvcc"
  exit 0
fi
venv=build/cuda-toolchain
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv" >&2
fi
# nvcc, its front end and device libraries, CUDA runtime headers and static library, libcu++.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check nvidia-cuda-nvcc==13.0.88 \
  nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85 >&2
root=$("$venv/bin/python" -c "import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], 'cu13'))")
# The wheels lay the toolkit out as lib/ with a versioned libcudart; nvcc looks in lib64/ and
# CMake's FindCUDAToolkit for libcudart.so.
ln -sfn lib "$root/lib64"
ln -sfn libcudart.so.13 "$root/lib/libcudart.so"
echo "export CUDACXX=$root/bin/nvcc CUDAToolkit_ROOT=$root"
