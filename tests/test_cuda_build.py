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
pytestmark = pytest.mark.skipif(LIBRARY is None, reason="no CUDA-enabled build: no CUDA compiler was found when the "
                                                       "package was built (CI builds it with ROI_OPS_CUDA=ON)")


def test_exports_only_register_custom_ops_and_needs_no_cuda_library():
    symbols = subprocess.run(["nm", "-D", "--defined-only", LIBRARY], capture_output=True, text=True, check=True)
    assert [line.split()[-1] for line in symbols.stdout.splitlines()] == ["RegisterCustomOps"]
    deps = subprocess.run(["ldd", LIBRARY], capture_output=True, text=True, check=True).stdout
    assert "libcudart" not in deps and "libcuda." not in deps and "onnxruntime" not in deps, deps


def test_build_info_names_the_cuda_architectures():
    with open(os.path.join(os.path.dirname(LIBRARY), "roi_ops_build_info.json")) as f:
        info = json.load(f)
    assert info["cuda"] and "80" in info["cuda"]


def test_loads_in_a_cpu_only_session_and_runs_every_op():
    import onnxruntime as ort

    model, _, expected, feeds = make_case.case(as_inputs=True)
    so = ort.SessionOptions()
    so.register_custom_ops_library(LIBRARY)
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    for got, want in zip(sess.run(None, feeds), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
