"""The CUDA-enabled library, as far as a machine without a GPU can check it: it exports only
RegisterCustomOps, needs no CUDA library to load (the CUDA runtime is linked statically), loads
into a CPU-only onnxruntime session and runs every op there correctly on its CPU kernels. The
CUDA kernels themselves are checked on a GPU by scripts/gpu_check.sh."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import roi_ops

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpp_host"))
import make_case  # noqa: E402
from cmake_builds import cmake_build  # noqa: E402


def cuda_library() -> str | None:
    env = os.environ.get("ROI_OPS_CUDA_LIBRARY")
    if env:
        return env
    for folder in roi_ops.__path__:
        path = os.path.join(folder, "libroi_ops_cuda.so")
        if os.path.isfile(path):
            return path
    return None


LIBRARY = cuda_library()
needs_library = pytest.mark.skipif(LIBRARY is None, reason="no CUDA-enabled build: no CUDA compiler was found when "
                                                         "the package was built (CI builds it with ROI_OPS_CUDA=ON)")


@needs_library
def test_exports_only_register_custom_ops_and_needs_no_cuda_library():
    symbols = subprocess.run(["nm", "-D", "--defined-only", LIBRARY], capture_output=True, text=True, check=True)
    assert [line.split()[-1] for line in symbols.stdout.splitlines()] == ["RegisterCustomOps"]
    deps = subprocess.run(["ldd", LIBRARY], capture_output=True, text=True, check=True).stdout
    assert "libcudart" not in deps and "libcuda." not in deps and "onnxruntime" not in deps, deps


@needs_library
def test_build_info_names_the_cuda_architectures():
    with open(os.path.join(os.path.dirname(LIBRARY), "roi_ops_build_info.json")) as f:
        info = json.load(f)
    assert info["cuda"] and "80" in info["cuda"]


@needs_library
def test_loads_in_a_cpu_only_session_and_runs_every_op():
    import onnxruntime as ort

    model, _, expected, feeds = make_case.case(as_inputs=True)
    so = ort.SessionOptions()
    so.register_custom_ops_library(LIBRARY)
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    for got, want in zip(sess.run(None, feeds), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def cuda_compiler() -> str | None:
    import shutil

    for candidate in (os.environ.get("CUDACXX"), shutil.which("nvcc"), "/usr/local/cuda/bin/nvcc"):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


@pytest.mark.skipif(cuda_compiler() is None, reason="no CUDA compiler (CUDACXX, nvcc on PATH or /usr/local/cuda)")
def test_gpu_check_harness_builds_and_its_cpu_path_matches_the_reference():
    # What scripts/gpu_check.sh builds on a GPU machine; here for one architecture, since
    # 'native' needs a GPU. The self-test drives the harness's CPU path through the same ctypes
    # plumbing the GPU check uses.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = cmake_build(os.path.join(root, "tests", "gpu"), "gpu_harness", "-DCMAKE_CUDA_ARCHITECTURES=80",
                        env=dict(os.environ, CUDACXX=cuda_compiler()))
    run = subprocess.run([sys.executable, os.path.join(root, "tests", "gpu", "gpu_check.py"), "--harness",
                          os.path.join(build, "libroi_ops_gpu_harness.so"), "--selftest"], capture_output=True, text=True)
    assert run.returncode == 0 and "matches the NumPy reference" in run.stdout, run.stdout + run.stderr
