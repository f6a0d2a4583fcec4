"""Every bad-input class of docs/spec.md ("Common rules") ends in an onnxruntime error whose message
names the op, the input or attribute, and the problem; never a crash."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import roi_ops

F = TensorProto.FLOAT


def session(op, attrs, x_type=F, rois_type=F, with_bi=True):
    ins = [helper.make_tensor_value_info("X", x_type, None), helper.make_tensor_value_info("rois", rois_type, None)]
    inputs = ["X", "rois"]
    if with_bi:
        ins.append(helper.make_tensor_value_info("bi", TensorProto.INT64, None))
        inputs.append("bi")
    node = helper.make_node(op, inputs, ["Y"], domain="roi_ops", **attrs)
    g = helper.make_graph([node], "g", ins, [helper.make_tensor_value_info("Y", x_type, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("roi_ops", 1)],
                          ir_version=10)
    return roi_ops.make_session(m)


def expect_error(fn, *needles):
    with pytest.raises(Exception) as info:
        fn()
    msg = str(info.value)
    assert isinstance(info.value, (ort.capi.onnxruntime_pybind11_state.Fail,
                                   ort.capi.onnxruntime_pybind11_state.InvalidArgument,
                                   ort.capi.onnxruntime_pybind11_state.InvalidGraph,
                                   ort.capi.onnxruntime_pybind11_state.RuntimeException)), msg
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"


OPS = ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool"]
X = np.zeros((2, 3, 8, 8), np.float32)
R4 = np.array([[0, 0, 4, 4], [1, 1, 5, 5]], np.float32)
BI = np.array([0, 1], np.int64)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("attr,value,needle", [
    ("output_height", 0, "'output_height' must be in [1, 65536]; got 0"),
    ("output_width", -3, "'output_width' must be in [1, 65536]; got -3"),
    ("output_height", 1 << 20, "'output_height' must be in [1, 65536]"),
    ("spatial_scale", 0.0, "'spatial_scale' must be finite and > 0; got 0"),
    ("spatial_scale", -0.25, "'spatial_scale' must be finite and > 0; got -0.25"),
    ("spatial_scale", float("inf"), "'spatial_scale' must be finite and > 0; got inf"),
    ("spatial_scale", float("nan"), "'spatial_scale' must be finite and > 0; got nan"),
    ("output_height", 2.5, "'output_height' must be an int"),
])
def test_bad_common_attributes(op, attr, value, needle):
    expect_error(lambda: session(op, {attr: value}), op, needle)


@pytest.mark.parametrize("attr,value,needle", [
    ("sampling_ratio", -1, "'sampling_ratio' must be in [0, 1024] (0 = adaptive); got -1"),
    ("sampling_ratio", 5000, "'sampling_ratio' must be in [0, 1024]"),
    ("mode", "maximum", "'mode' must be \"avg\", \"max\" or \"onnx_max\"; got \"maximum\""),
    ("mode", 1, "'mode' must be a string"),
    ("aligned", 2, "'aligned' must be 0 or 1; got 2"),
])
def test_bad_roi_align_attributes(attr, value, needle):
    expect_error(lambda: session("RoIAlign", {attr: value}), "RoIAlign", needle)


@pytest.mark.parametrize("op", OPS)
def test_wrong_rank_of_x(op):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": np.zeros((3, 8, 8), np.float32), "rois": R4, "bi": BI}),
                 op, "input 'X' must be 4-D [N,C,H,W]; got shape [3,8,8]")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("rois_shape", [(2, 3), (2, 6), (8,), (2, 4, 1)])
def test_wrong_rank_or_trailing_dim_of_rois(op, rois_shape):
    s = session(op, {})
    shape_txt = "[" + ",".join(map(str, rois_shape)) + "]"
    expect_error(lambda: s.run(None, {"X": X, "rois": np.zeros(rois_shape, np.float32), "bi": BI}),
                 op, "input 'rois' must be 2-D [K,4] (with batch_indices) or [K,5]", f"got shape {shape_txt}")


@pytest.mark.parametrize("op", OPS)
def test_rois4_without_batch_indices(op):
    s = session(op, {}, with_bi=False)
    expect_error(lambda: s.run(None, {"X": X, "rois": R4}), op, "input 'batch_indices' [K] is required")


@pytest.mark.parametrize("op", OPS)
def test_rois5_with_batch_indices(op):
    s = session(op, {})
    r5 = np.concatenate([BI[:, None], R4], 1).astype(np.float32)
    expect_error(lambda: s.run(None, {"X": X, "rois": r5, "bi": BI}), op, "'batch_indices' must be omitted")


@pytest.mark.parametrize("op", OPS)
def test_mismatched_k(op):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": X, "rois": R4, "bi": np.array([0, 1, 1], np.int64)}),
                 op, "input 'batch_indices' has 3 entries but input 'rois' has 2 rows")
    expect_error(lambda: s.run(None, {"X": X, "rois": R4, "bi": np.zeros((2, 1), np.int64)}),
                 op, "input 'batch_indices' must be 1-D [K]")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("b", [-1, 2, 1 << 40])
def test_batch_index_out_of_range(op, b):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": X, "rois": R4, "bi": np.array([0, b], np.int64)}),
                 op, "input 'batch_indices'[1]", "is outside [0, N) with N = 2")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("b,needle", [(0.5, "is not an integer"), (np.nan, "is not an integer"),
                                      (np.inf, "is not an integer"), (-1.0, "is outside [0, N)"),
                                      (2.0, "is outside [0, N)")])
def test_batch_index_in_rois_column(op, b, needle):
    s = session(op, {}, with_bi=False)
    r5 = np.array([[0, 0, 0, 4, 4], [b, 1, 1, 5, 5]], np.float32)
    expect_error(lambda: s.run(None, {"X": X, "rois": r5}), op, "input 'rois'[1,0] (batch index)", needle)


@pytest.mark.parametrize("op", OPS)
def test_batch_index_with_empty_batch(op):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": np.zeros((0, 3, 8, 8), np.float32), "rois": R4, "bi": BI}),
                 op, "is outside [0, N) with N = 0")


@pytest.mark.parametrize("op", OPS)
def test_type_mismatch_between_x_and_rois(op):
    s = session(op, {}, x_type=F, rois_type=TensorProto.DOUBLE)
    expect_error(lambda: s.run(None, {"X": X, "rois": R4.astype(np.float64), "bi": BI}), op,
                 "input 'rois' must have the element type of input 'X' (tensor(float)); got tensor(double)")


@pytest.mark.parametrize("op", OPS)
def test_unsupported_type(op):
    expect_error(lambda: session(op, {}, x_type=TensorProto.INT32, rois_type=TensorProto.INT32), op)


# PSRoIAlign / PSRoIPool are left out: their output has K * C elements at most, so it cannot
# outgrow the limit unless X or rois already hold that much.
@pytest.mark.parametrize("op", ["RoIAlign", "RoIPool"])
def test_output_too_large(op):
    s = session(op, {"output_height": 65536, "output_width": 65536})
    big_c = np.zeros((1, 4096, 1, 1), np.float32)
    rois = np.zeros((100, 4), np.float32)
    expect_error(lambda: s.run(None, {"X": big_c, "rois": rois, "bi": np.zeros(100, np.int64)}),
                 op, "output 'Y' of shape [100,4096,65536,65536] would need", "over the limit")
