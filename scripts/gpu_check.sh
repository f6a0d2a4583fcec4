#!/usr/bin/env bash
# On a machine with a GPU (no network needed; torch with CUDA, torchvision, nvcc, cmake):
# builds the kernels behind a small C ABI (tests/gpu), checks every CUDA kernel against the CPU
# kernels on randomized cases, runs compute-sanitizer memcheck and racecheck, and times the
# kernels against torchvision's CUDA ops. Results go to $OUT (default build/gpu/results).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-build/gpu/results}
py=${PYTHON:-python3}
mkdir -p "$out"
cmake -S tests/gpu -B build/gpu -DCMAKE_BUILD_TYPE=Release > "$out/build.txt"
cmake --build build/gpu -j "$(nproc)" >> "$out/build.txt"
lib=build/gpu/libroi_ops_gpu_harness.so
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$out/device.txt" || true
$py tests/gpu/gpu_check.py --harness $lib --selftest
echo "== CUDA vs CPU kernels, timings vs torchvision"
$py tests/gpu/gpu_check.py --harness $lib --out "$out/gpu_results.md"
for tool in memcheck racecheck; do
  echo "== compute-sanitizer --tool $tool"
  # PyTorch's caching allocator would hide out-of-bounds accesses inside its own blocks.
  PYTORCH_NO_CUDA_MEMORY_CACHING=1 compute-sanitizer --tool $tool --error-exitcode 1 \
    $py tests/gpu/gpu_check.py --harness $lib --cases 2 --no-timing > "$out/$tool.txt" 2>&1
  tail -n 3 "$out/$tool.txt"
done
echo "gpu check passed; results in $out"
