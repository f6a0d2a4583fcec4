#!/usr/bin/env bash
# Builds the library with AddressSanitizer and UndefinedBehaviorSanitizer, runs the whole test
# suite against it (the sanitizer runtimes preloaded into Python), then runs the C++ host under
# LeakSanitizer. Any report fails the run. Expects scripts/setup.sh to have run (.venv).
# This build leaves out the kernels' AVX-512 clones (ROI_OPS_NO_AVX512): on an AVX-512 machine the
# normal run tests the AVX-512 code and this one the AVX2 code that most other x86 CPUs run.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
cxx=${CXX:-c++}
include=$($py tests/cpp_host/paths.py include)
runtime=$($py tests/cpp_host/paths.py library)

cmake -S . -B build/sanitize -DROI_OPS_SANITIZE=ON -DROI_OPS_NO_AVX512=ON -DROI_OPS_CUDA=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXRUNTIME_INCLUDE_DIR="$include" > /dev/null
cmake --build build/sanitize -j "$(nproc)" > /dev/null
lib=$PWD/build/sanitize/libroi_ops.so
# A build that silently lost its instrumentation would pass everything below.
nm -D "$lib" | grep -q __asan_report || { echo "build/sanitize/libroi_ops.so is not instrumented" >&2; exit 1; }
if [ "$(uname -m)" = x86_64 ]; then  # ... or one that still picks its AVX-512 clones
  symbols=$(nm "$lib")  # (not piped into grep -q: nm's broken pipe would fail the pipeline)
  grep -q 'arch_x86_64_v3' <<<"$symbols" || { echo "build/sanitize/libroi_ops.so has no AVX2 clones" >&2; exit 1; }
  if grep -q 'arch_x86_64_v4' <<<"$symbols"; then echo "build/sanitize/libroi_ops.so has AVX-512 clones" >&2; exit 1; fi
fi

export LD_PRELOAD="$($cxx -print-file-name=libasan.so) $($cxx -print-file-name=libubsan.so)"
# Python itself leaks by design, so leaks are checked on the C++ host below instead.
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "== test suite against the ASan+UBSan library"
source scripts/pytest_workers.sh
ROI_OPS_LIBRARY=$lib $py -m pytest tests -p no:cacheprovider "${workers[@]}" "$@"

echo "== C++ host under LeakSanitizer"
cmake -S tests/cpp_host -B build/sanitize-host -DROI_OPS_HOST_SANITIZE=ON -DONNXRUNTIME_INCLUDE_DIR="$include" \
      -DONNXRUNTIME_LIBRARY="$runtime" > /dev/null
cmake --build build/sanitize-host > /dev/null
case_dir=build/sanitize-host/case
$py tests/cpp_host/make_case.py "$case_dir"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 build/sanitize-host/roi_ops_host "$lib" "$case_dir/model.onnx" \
  "$case_dir/expected.bin" "$case_dir/bad_model.onnx"
echo "sanitizers: no reports"
