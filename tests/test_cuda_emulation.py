"""The CUDA kernels, run without a GPU: ops/cuda/*.cu compiled unchanged as C++ against a shim
of the CUDA runtime (tests/cuda_emulation; launches rewritten to serial loops over every block
and thread, with the launch checks a GPU makes), and compared with the CPU kernels on the GPU
check's randomized and edge cases (tests/gpu/gpu_check.py).

What this proves: indexing (the grid-stride loop, the output index split, 64-bit offsets),
launch configuration, semantics (modes, layouts, edge RoIs, NaN blocks, invalid indices) and
precision (the device code's own arithmetic types). What only a GPU shows: coalescing and speed,
races, device math rounding (fast intrinsics, FMA contraction), and onnxruntime's CUDA provider
(scripts/gpu_check.sh)."""
from __future__ import annotations

import os
import shutil
import sys
import zlib

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "gpu"))
import gpu_check  # noqa: E402
from cmake_builds import cmake_build  # noqa: E402

if shutil.which("cmake") is None:
    pytest.skip("the CUDA emulation is built with cmake, which is not on PATH", allow_module_level=True)


@pytest.fixture(scope="module")
def harness():
    build = cmake_build(os.path.join(HERE, "cuda_emulation"), "cuda_emulation", "-DCMAKE_BUILD_TYPE=Release")
    h = gpu_check.Harness(os.path.join(build, "libroi_ops_cuda_emulation.so"))
    h.lib.roi_ops_emulation_set_max_grid.argtypes = [gpu_check.ctypes.c_uint]
    yield h
    h.lib.roi_ops_emulation_set_max_grid(0)


DTYPES = [np.float32, np.float64, np.float16]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", gpu_check.OPS)
def test_emulated_cuda_kernel_equals_the_cpu_kernel(harness, op, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{op} {np.dtype(dtype).name}".encode()))
    worst = 0.0
    for i in range(12):
        maps, rois, idx, p, shape = gpu_check.random_case(rng, op, dtype, "first" if i % 2 else "indices")
        cpu = harness.cpu(op, maps, rois, idx, p, shape)
        emulated = harness.host(op, True, maps, rois, idx, p, shape)
        worst = max(worst, gpu_check.max_rel_err(emulated, cpu))
    assert worst < gpu_check.TOL[dtype], f"{op} {np.dtype(dtype).name}: max relative error {worst:.3g}"


@pytest.mark.parametrize("op", gpu_check.OPS)
def test_one_block_grid_gives_identical_output(harness, op):
    """A grid capped at one block makes every thread walk the grid-stride loop."""
    rng = np.random.default_rng(7)
    maps, rois, idx, p, shape = gpu_check.random_case(rng, op, np.float32, "indices")
    full = harness.host(op, True, maps, rois, idx, p, shape)
    harness.lib.roi_ops_emulation_set_max_grid(1)
    try:
        capped = harness.host(op, True, maps, rois, idx, p, shape)
    finally:
        harness.lib.roi_ops_emulation_set_max_grid(0)
    np.testing.assert_array_equal(capped, full)


@pytest.mark.parametrize("op", gpu_check.OPS)
def test_no_rois_launch_nothing(harness, op):
    rng = np.random.default_rng(8)
    maps, rois, idx, p, shape = gpu_check.random_case(rng, op, np.float32, "indices")
    empty = harness.host(op, True, maps, rois[:0], None if idx is None else idx[:0], p, (0,) + shape[1:])
    assert empty.shape == (0,) + shape[1:]


def test_invalid_batch_index_gives_a_nan_block(harness):
    rng = np.random.default_rng(1)
    maps, rois, idx, p, shape = gpu_check.random_case(rng, "RoIAlign", np.float32, "indices")
    idx = idx.copy()
    idx[0] = 99
    y = harness.host("RoIAlign", True, maps, rois, idx, p, shape)
    assert np.isnan(y[0]).all() and not np.isnan(y[4:]).all()
