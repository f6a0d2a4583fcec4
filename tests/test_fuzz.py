"""Fuzzing at the onnxruntime level: every op gets malformed shapes, element types, attributes,
RoIs (NaN, Inf, huge, negative, reversed), batch indices (negative, >= N, non-integer) and empty
tensors. Every case must end in a correct result (checked against the NumPy reference, or for
absurd coordinates at least in the right shape with finite values) or in an onnxruntime error
that names the op. A crash would take pytest down with it. The number of cases of each outcome
is printed at the end of the run (conftest.py)."""
from __future__ import annotations

import collections

import numpy as np
import onnxruntime as ort
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper

import roi_ops
from roi_ops import builders, reference

CASES: collections.Counter = collections.Counter()  # (op, outcome) -> count, reported by conftest.py

OPS = ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "RoIAlignRotated", "MultiScaleRoIAlign", "CropAndResize"]
FLOATS = [np.float32, np.float64, np.float16]
BAD_ATTRS = {
    "output_height": [0, -3, 70000], "output_width": [0, -1], "spatial_scale": [0.0, -1.0, float("nan"), float("inf")],
    "sampling_ratio": [-1, 5000], "mode": ["maximum", ""], "aligned": [2, -1], "clockwise": [5],
    "angle_unit": ["turns"], "spatial_scales": [[0.25, 0.0625], [-1.0], [0.25, 0.25]], "eps_in_log": [3],
    "crop_height": [0, -2], "method": ["cubic"], "canonical_scale": [0.0, float("inf")],
}
COORD = st.one_of(st.floats(-30, 90, width=32), st.sampled_from([float("nan"), float("inf"), -float("inf")]),
                  st.sampled_from([1e30, -1e30]))


def attributes(draw, op, oh, ow):
    a = {}
    if op == "CropAndResize":
        a = dict(crop_height=oh, crop_width=ow, method=draw(st.sampled_from(["bilinear", "nearest"])),
                 extrapolation_value=draw(st.sampled_from([0.0, -1.0, float("nan")])))
    else:
        a = dict(output_height=oh, output_width=ow)
        if op != "MultiScaleRoIAlign":
            a["spatial_scale"] = draw(st.sampled_from([1.0, 0.5, 0.25, 1 / 16]))
        if op not in ("RoIPool", "PSRoIPool"):
            a["sampling_ratio"] = draw(st.integers(0, 3))
    if op == "RoIAlign":
        a.update(mode=draw(st.sampled_from(["avg", "max", "onnx_max"])), aligned=draw(st.integers(0, 1)))
    if op == "RoIAlignRotated":
        a.update(aligned=draw(st.integers(0, 1)), clockwise=draw(st.integers(0, 1)),
                 angle_unit=draw(st.sampled_from(["degrees", "radians"])))
    if op == "MultiScaleRoIAlign":
        a.update(spatial_scales=[0.5, 0.25, 0.125][: draw(st.integers(1, 3))], aligned=draw(st.integers(0, 1)),
                 eps_in_log=draw(st.integers(0, 1)), canonical_scale=draw(st.sampled_from([4.0, 16.0, 224.0])),
                 canonical_level=draw(st.integers(0, 4)))
    # Mutation: one attribute replaced by an invalid value of the right name.
    if draw(st.integers(0, 4)) == 0:
        names = [n for n in BAD_ATTRS if n in a]
        if names:
            name = draw(st.sampled_from(names))
            a[name] = draw(st.sampled_from(BAD_ATTRS[name]))
    return a


@st.composite
def cases(draw):
    op = draw(st.sampled_from(OPS))
    dtype = draw(st.sampled_from(FLOATS))
    oh, ow = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    attrs = attributes(draw, op, oh, ow)
    n = 0 if draw(st.integers(0, 9)) == 0 else draw(st.integers(1, 2))  # N = 0 leaves no valid batch index
    c = (oh * ow if op.startswith("PS") else 1) * draw(st.integers(0, 3))
    shape = [n, c, draw(st.integers(0, 6)), draw(st.integers(0, 6))]
    if draw(st.integers(0, 9)) == 0:  # wrong rank
        shape = shape[: draw(st.integers(0, 3))] if draw(st.booleans()) else shape + [1]
    k = draw(st.integers(0, 4))
    box_cols = 5 if op == "RoIAlignRotated" else 4
    first = op != "CropAndResize" and draw(st.booleans())  # batch index in the rois' first column
    cols = box_cols + first
    if draw(st.integers(0, 9)) == 0:
        cols = draw(st.integers(0, 7))  # wrong trailing dimension
    coords = np.array([[draw(COORD) for _ in range(cols)] for _ in range(k)], np.float64).reshape(k, cols)
    if op == "CropAndResize":
        coords = np.where(np.abs(coords) < 100, coords / 60, coords)  # mostly normalised boxes
    bidx = np.array([draw(st.integers(-1, n)) if draw(st.integers(0, 19)) == 0 else draw(st.integers(0, max(n - 1, 0)))
                     for _ in range(k)], np.int64)
    if first and cols > 0:
        coords[:, 0] = bidx + (0.5 if draw(st.integers(0, 9)) == 0 else 0)  # sometimes not an integer
    rois_dtype = dtype if draw(st.integers(0, 9)) else draw(st.sampled_from(FLOATS + [np.int32]))
    x_dtype = dtype if draw(st.integers(0, 14)) else np.int32
    seed = draw(st.integers(0, 2**31 - 1))
    with_bi = not first
    if draw(st.integers(0, 9)) == 0:
        with_bi = not with_bi  # the other layout's batch_indices rule broken
    if with_bi and draw(st.integers(0, 9)) == 0:
        bidx = bidx[:-1] if k else np.zeros(1, np.int64)  # K mismatch
    index_dtype = draw(st.sampled_from([np.int64, np.int32])) if op == "CropAndResize" else np.int64
    with np.errstate(over="ignore", invalid="ignore"):  # huge values become inf in float16
        rois = coords.astype(rois_dtype)
    return op, attrs, shape, x_dtype, rois, bidx.astype(index_dtype), with_bi, seed


def model_and_feeds(op, attrs, shape, x_dtype, rois, bidx, with_bi, seed):
    rng = np.random.default_rng(seed)
    tt = helper.np_dtype_to_tensor_dtype
    feeds = {}
    if op == "MultiScaleRoIAlign":
        levels = len(attrs.get("spatial_scales") or [0.5])
        names = [f"X_{i}" for i in range(max(levels, 1))]
        for i, name in enumerate(names):
            s = list(shape)
            if len(s) == 4:
                s[2:] = [max(d >> i, 0) for d in s[2:]]
            feeds[name] = rng.standard_normal(s).astype(x_dtype)
        node = helper.make_node(op, ["rois", "bi" if with_bi else "", *names], ["Y"], domain="roi_ops", **attrs)
        feeds = {"rois": rois, **({"bi": bidx} if with_bi else {}), **feeds}
    elif op == "CropAndResize":
        feeds = {"X": rng.standard_normal(shape).astype(x_dtype), "rois": rois, "bi": bidx}
        node = helper.make_node(op, ["X", "rois", "bi"], ["Y"], domain="roi_ops", **attrs)
    else:
        feeds = {"X": rng.standard_normal(shape).astype(x_dtype), "rois": rois, **({"bi": bidx} if with_bi else {})}
        node = helper.make_node(op, list(feeds), ["Y"], domain="roi_ops", **attrs)
    inputs = [helper.make_tensor_value_info(k, tt(v.dtype), None) for k, v in feeds.items()]
    y_type = tt(np.dtype(x_dtype))
    model = builders.make_model([node], inputs, [helper.make_tensor_value_info("Y", y_type, None)])
    return model, feeds


def expected(op, attrs, feeds):
    x = {k: (v.astype(np.float64) if v.dtype.kind == "f" else v) for k, v in feeds.items()}
    bi = x.get("bi")
    if op == "MultiScaleRoIAlign":
        maps = [x[k] for k in sorted(k for k in x if k.startswith("X_"))]
        return reference.multi_scale_roi_align(x["rois"], bi, *maps, **attrs)
    if op == "CropAndResize":
        return reference.crop_and_resize(x["X"], x["rois"], bi, **attrs)
    fn = {"RoIAlign": reference.roi_align, "RoIPool": reference.roi_pool, "PSRoIAlign": reference.ps_roi_align,
          "PSRoIPool": reference.ps_roi_pool, "RoIAlignRotated": reference.roi_align_rotated}[op]
    return fn(x["X"], x["rois"], bi, **attrs)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_fuzz_every_op_ends_in_a_result_or_an_error_naming_it(case):
    op, attrs, *_ = case
    model, feeds = model_and_feeds(*case)
    try:
        out = roi_ops.make_session(model).run(None, feeds)[0]
    except (ort.capi.onnxruntime_pybind11_state.Fail, ort.capi.onnxruntime_pybind11_state.InvalidArgument,
            ort.capi.onnxruntime_pybind11_state.InvalidGraph, ort.capi.onnxruntime_pybind11_state.RuntimeException,
            ort.capi.onnxruntime_pybind11_state.NotImplemented) as e:
        assert op in str(e), f"error does not name {op}: {e}"
        CASES[(op, "error naming the op")] += 1
        return
    rois = feeds["rois"].astype(np.float64)
    if np.any(np.abs(rois[np.isfinite(rois)]) > 1e6):
        # Absurd but finite coordinates: the reference's dense sample grids cannot follow; the
        # plugin must still finish with the right shape and NaN only where a coordinate is not finite.
        assert out.shape[0] == rois.shape[0]
        if not np.isnan(attrs.get("extrapolation_value", 0.0)):
            assert np.isfinite(out[np.all(np.isfinite(rois), axis=1)]).all()
        CASES[(op, "result, absurd coordinates")] += 1
        return
    want = expected(op, attrs, feeds)  # raises if the plugin accepted input the spec rejects
    x_dtype = next(v.dtype for k, v in feeds.items() if k.startswith("X"))
    assert out.shape == want.shape and out.dtype == x_dtype
    tol = {np.float16: 1e-2, np.float32: 1e-4, np.float64: 1e-9}[out.dtype.type]
    scale = max([float(np.abs(v.astype(np.float64)).max(initial=1)) for k, v in feeds.items() if k.startswith("X")])
    np.testing.assert_allclose(out.astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol * scale,
                               equal_nan=True)
    CASES[(op, "result checked against the reference")] += 1
