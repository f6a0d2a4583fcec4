"""Shared helpers: build one-node models, run them through the plugin, and the per-dtype
tolerances of the comparisons with the float64 NumPy reference."""
from __future__ import annotations

import collections
import fcntl
import functools
import pathlib
import sys

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import roi_ops
from pinned_venv import release
from roi_ops import builders

ONNX_TYPE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
             np.dtype(np.float16): TensorProto.FLOAT16}

# Tolerances against the float64 reference, which receives exactly the values the plugin got.
#  float64: geometry and accumulation in float64; only summation order differs.
#  float32: sample weights rounded to float32 (relative error 2^-24 each) and float32 sums of up to
#           a few thousand terms: 1e-5 relative to the map's magnitude bounds both with room.
#  float16: computed in float32 as above, then rounded once to float16: half an ulp is 2^-11
#           relative (4.9e-4); 1e-3 relative plus 1e-4 absolute covers that and the float32 part.
TOLERANCE = {np.dtype(np.float64): (1e-12, 1e-12), np.dtype(np.float32): (1e-5, 1e-5),
             np.dtype(np.float16): (1e-3, 1e-4)}


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype, scale: float = 1.0) -> None:
    rtol, atol = TOLERANCE[np.dtype(dtype)]
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                               atol=atol * max(scale, 1.0), equal_nan=True)


def one_node_model(node, dtype, *, with_batch_indices: bool):
    t = ONNX_TYPE[np.dtype(dtype)]
    inputs = [helper.make_tensor_value_info("X", t, None), helper.make_tensor_value_info("rois", t, None)]
    if with_batch_indices:
        inputs.append(helper.make_tensor_value_info("batch_indices", TensorProto.INT64, None))
    return builders.make_model([node], inputs, [helper.make_tensor_value_info("Y", t, None)])


# The providers the op tests run on: CUDA too where this onnxruntime offers it (onnxruntime-gpu).
PROVIDERS = [p for p in ("CUDAExecutionProvider",) if p in ort.get_available_providers()] + ["CPUExecutionProvider"]


@functools.lru_cache(maxsize=256)
def _session(model_bytes: bytes, threads: int, provider: str) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.register_custom_ops_library(roi_ops.get_library_path())
    return ort.InferenceSession(model_bytes, so, providers=[provider])


def session_of(model, *, threads: int = 1, provider: str = "CPUExecutionProvider") -> ort.InferenceSession:
    """A session of `model` with the plugin registered (one per model, thread count and provider)."""
    return _session(model.SerializeToString(), threads, provider)


def run_model(model, feeds, *, threads: int = 1, provider: str = "CPUExecutionProvider") -> np.ndarray:
    return session_of(model, threads=threads, provider=provider).run(None, feeds)[0]


ROI_BUILDERS = {
    "RoIAlign": builders.make_roi_align_node,
    "RoIPool": builders.make_roi_pool_node,
    "PSRoIAlign": builders.make_ps_roi_align_node,
    "PSRoIPool": builders.make_ps_roi_pool_node,
    "RoIAlignRotated": builders.make_roi_align_rotated_node,
}


def run_op(op: str, X, rois, batch_indices=None, *, threads: int = 1, provider: str = "CPUExecutionProvider",
           **attrs) -> np.ndarray:
    """Runs roi_ops.<op> (an op taking X, rois, [batch_indices]) through onnxruntime with the plugin."""
    bi = "batch_indices" if batch_indices is not None else None
    node = ROI_BUILDERS[op]("X", "rois", bi, "Y", **attrs)
    model = one_node_model(node, X.dtype, with_batch_indices=bi is not None)
    feeds = {"X": X, "rois": rois}
    if bi:
        feeds["batch_indices"] = batch_indices
    return run_model(model, feeds, threads=threads, provider=provider)


def run_multi_scale(maps, rois, batch_indices=None, *, threads: int = 1, rotated: bool = False,
                    **attrs) -> np.ndarray:
    """Runs roi_ops.MultiScaleRoIAlign (MultiScaleRoIAlignRotated if `rotated`) over `maps`
    (finest first)."""
    t = ONNX_TYPE[np.dtype(maps[0].dtype)]
    names = [f"X_{i}" for i in range(len(maps))]
    bi = "batch_indices" if batch_indices is not None else None
    make = builders.make_multi_scale_roi_align_rotated_node if rotated else builders.make_multi_scale_roi_align_node
    node = make("rois", bi, names, "Y", **attrs)
    inputs = [helper.make_tensor_value_info("rois", t, None)]
    if bi:
        inputs.append(helper.make_tensor_value_info("batch_indices", TensorProto.INT64, None))
    inputs += [helper.make_tensor_value_info(n, t, None) for n in names]
    model = builders.make_model([node], inputs, [helper.make_tensor_value_info("Y", t, None)])
    feeds = {"rois": rois, **dict(zip(names, maps))}
    if bi:
        feeds["batch_indices"] = batch_indices
    return run_model(model, feeds, threads=threads)


def run_crop(X, boxes, box_indices, *, threads: int = 1, **attrs) -> np.ndarray:
    """Runs roi_ops.CropAndResize; box_indices may be int32 or int64."""
    t = ONNX_TYPE[np.dtype(X.dtype)]
    it = TensorProto.INT32 if box_indices.dtype == np.int32 else TensorProto.INT64
    node = builders.make_crop_and_resize_node("X", "boxes", "box_indices", "Y", **attrs)
    inputs = [helper.make_tensor_value_info("X", t, None), helper.make_tensor_value_info("boxes", t, None),
              helper.make_tensor_value_info("box_indices", it, None)]
    model = builders.make_model([node], inputs, [helper.make_tensor_value_info("Y", t, None)])
    return run_model(model, {"X": X, "boxes": boxes, "box_indices": box_indices}, threads=threads)


def random_rois(rng, k, n, img_h, img_w, *, min_size=0.5, max_size=None, outside=0.0):
    """[K,4] boxes (x1,y1,x2,y2) in image pixels and their batch indices. `outside` widens the
    placement range beyond the image by that fraction of its size."""
    max_size = max_size or max(img_h, img_w)
    sizes = np.exp(rng.uniform(np.log(min_size), np.log(max_size), (k, 2)))
    lo_y, hi_y = -outside * img_h, img_h * (1 + outside)
    lo_x, hi_x = -outside * img_w, img_w * (1 + outside)
    y1 = rng.uniform(lo_y, hi_y, k)
    x1 = rng.uniform(lo_x, hi_x, k)
    boxes = np.stack([x1, y1, x1 + sizes[:, 1], y1 + sizes[:, 0]], 1)
    return boxes, rng.integers(0, n, k).astype(np.int64)


def few_and_many_rois(dtype, seed):
    """A [2,37,40,130] map and 17 RoIs (image pixels, for spatial_scale 1/4), for tests that run
    17 RoIs and their first 16 to take the staged and the few-RoI CPU paths: RoIs from 5 to 123
    cells wide (vector loops' ragged ends, float16's 8-wide F16C loop), some partly outside, 37
    channels (a partial block)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, 37, 40, 130)).astype(dtype)
    boxes, bidx = random_rois(rng, 17, 2, 160, 520, min_size=2, outside=0.2)
    boxes[0], bidx[0] = [8, 8, 500, 150], 0  # 123 cells wide
    boxes[1] = [40, 40, 60, 120]  # 5 cells wide
    return X, boxes, bidx


@pytest.fixture(scope="session")
def onnxruntime_runs_overloads() -> bool:
    """Whether this onnxruntime runs each model-local function overload as its own body: 1.27 on.
    1.21-1.26 run one of them for every node of the op, as roi_ops.functions warns; a model
    with such bodies runs there inlined."""
    return release(ort.__version__) >= (1, 27)


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


# Files that take a minute or more each (CMake and nvcc builds, venvs made from PyPI, torchvision
# exports, the benchmark's programs), slowest first. They are collected first: pytest-xdist hands
# whole files to its workers in collection order (scripts/pytest_workers.sh), and one of them
# handed out last would keep its worker busy alone for its length.
SLOW_FILES = ("test_oldest_dependencies.py", "test_torchvision_detectors.py", "test_bench.py", "test_cuda_build.py",
              "test_cuda_emulation.py", "test_onnxruntime_versions.py", "test_ray_detect.py", "test_readme.py")


def pytest_collection_modifyitems(items):
    order = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: order.get(item.path.name, len(SLOW_FILES)))  # stable: each file's order kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    """Under pytest-xdist, a test marked ``alone`` runs while no other worker runs a test: Ray's
    local cluster must register its node within a fixed 30 s, and in CI a build or pip install on
    the other core made it miss that. A reader-writer lock on two files in the run's shared
    temporary folder: a test holds "running" shared, an ``alone`` test exclusive; an ``alone`` test
    keeps "turnstile" while it waits, so no test starts meanwhile and it is not starved."""
    if not hasattr(item.config, "workerinput"):
        return (yield)
    alone = item.get_closest_marker("alone") is not None
    folder = pathlib.Path(item.config.option.basetemp).parent  # xdist gives each worker a folder in it
    with open(folder / "turnstile.lock", "a") as turnstile, open(folder / "running.lock", "a") as running:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        fcntl.flock(running, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        return (yield)  # closing the files releases the locks


def _fuzz_cases() -> collections.Counter:
    """test_fuzz.CASES of this process (empty where the module was not run here)."""
    fuzz = sys.modules.get("test_fuzz")
    return fuzz.CASES if fuzz is not None else collections.Counter()


def pytest_sessionfinish(session):
    """On a pytest-xdist worker, hands the fuzz counts to the controller (pytest_testnodedown)."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["fuzz_cases"] = [[op, outcome, n] for (op, outcome), n in _fuzz_cases().items()]


FUZZ_FROM_WORKERS: collections.Counter = collections.Counter()  # (op, outcome) -> count


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown to a run without it
def pytest_testnodedown(node, error):
    for op, outcome, n in getattr(node, "workeroutput", {}).get("fuzz_cases", []):
        FUZZ_FROM_WORKERS[(op, outcome)] += n


def pytest_terminal_summary(terminalreporter):
    """How many fuzz cases ran, by op and outcome (tests/test_fuzz.py), in this process or its
    pytest-xdist workers."""
    cases = _fuzz_cases() + FUZZ_FROM_WORKERS
    if not cases:
        return
    terminalreporter.section("fuzz cases")
    for (op, outcome), count in sorted(cases.items()):
        terminalreporter.write_line(f"{op:20s} {outcome:40s} {count}")
    terminalreporter.write_line(f"{'total':61s} {sum(cases.values())}")
