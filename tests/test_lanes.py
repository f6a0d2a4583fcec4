"""The CPU kernels' two vector forms (ops/cpu/lanes.h): two 32-byte vectors where the CPU has
AVX2, four 16-byte ones elsewhere. ROI_OPS_CPU_LANES=quarters takes the second on any CPU, so it
is checked here against the first (which the op tests check against the NumPy reference): every
op and dtype of the bench's quick workloads gives bit-identical outputs both ways."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto

import roi_ops
from roi_ops.bench import cases


def _as_double(case):
    """The case's model and feeds with float32 tensors as float64."""
    model = onnx.ModelProto.FromString(case.model.SerializeToString())
    for v in [*model.graph.input, *model.graph.output]:
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.DOUBLE
    feeds = {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in case.feeds.items()}
    return model, feeds


def _models():
    quick = [*cases.roi_align_pool_cases(np.float32, True), *cases.roi_align_pool_cases(np.float16, True),
             *cases.op_set_cases(True)]
    for c in quick:
        yield f"{c.workload} {c.op} {c.dtype}", c.model, c.feeds
    for c in cases.op_set_cases(True):
        yield f"{c.workload} {c.op} float64", *_as_double(c)


def outputs(path: str) -> None:
    """Writes every model's output to `path` (.npz), run with the library in this process."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.register_custom_ops_library(roi_ops.get_library_path(cuda=False))
    found = {}
    for name, model, feeds in _models():
        session = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
        found[name] = session.run(None, feeds)[0]
    np.savez(path, **found)


def test_quarters_give_the_same_bits_as_the_wide_form(tmp_path):
    runs = {}
    for form, env in (("default", {}), ("quarters", {"ROI_OPS_CPU_LANES": "quarters"})):
        path = tmp_path / f"{form}.npz"
        code = f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); import test_lanes; " \
               f"test_lanes.outputs({str(path)!r})"
        r = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        runs[form] = np.load(path)
    assert len(runs["default"].files) >= 20
    for name in runs["default"].files:
        assert np.array_equal(runs["default"][name], runs["quarters"][name], equal_nan=True), name


def _register(env: dict) -> subprocess.CompletedProcess:
    code = ("import onnxruntime as ort, roi_ops; so = ort.SessionOptions(); "
            "so.register_custom_ops_library(roi_ops.get_library_path(cuda=False)); print('registered')")
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def test_a_lanes_value_the_library_does_not_take_is_refused_naming_it():
    r = _register({"ROI_OPS_CPU_LANES": "quarter"})
    assert r.returncode != 0 and "registered" not in r.stdout
    assert "ROI_OPS_CPU_LANES is 'quarter'; the one value it takes is 'quarters'" in r.stderr, r.stderr[-2000:]
    for value in ("", "quarters"):
        r = _register({"ROI_OPS_CPU_LANES": value})
        assert r.returncode == 0 and "registered" in r.stdout, (value, r.stderr[-2000:])
