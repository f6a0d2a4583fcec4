"""Property tests: random shapes, RoIs and attributes, plugin against the reference."""
from __future__ import annotations

import numpy as np
from conftest import assert_close, run_op
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roi_ops import reference

coord = st.floats(-40, 80, allow_nan=False, width=32)


@st.composite
def problems(draw):
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1, 20))
    h = draw(st.integers(1, 12))
    w = draw(st.integers(1, 12))
    k = draw(st.integers(0, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.float16]))
    seed = draw(st.integers(0, 2**31 - 1))
    X = np.random.default_rng(seed).standard_normal((n, c, h, w)).astype(dtype)
    boxes = np.array([[draw(coord) for _ in range(4)] for _ in range(k)], np.float64).reshape(k, 4)
    bidx = np.array([draw(st.integers(0, n - 1)) for _ in range(k)], np.int64)
    layout = draw(st.sampled_from([4, 5]))
    scale = draw(st.sampled_from([1.0, 0.5, 0.25, 1 / 16]))
    oh, ow = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    return X, boxes.astype(dtype), bidx, layout, scale, oh, ow


def as_inputs(X, boxes, bidx, layout):
    if layout == 5:
        return np.concatenate([bidx[:, None].astype(X.dtype), boxes], 1), None
    return boxes, bidx


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["avg", "max", "onnx_max"]), st.integers(0, 1), st.sampled_from([0, 1, 2, 3]))
def test_roi_align_matches_reference(problem, mode, aligned, sampling_ratio):
    X, boxes, bidx, layout, scale, oh, ow = problem
    rois, bi = as_inputs(X, boxes, bidx, layout)
    attrs = dict(output_height=oh, output_width=ow, spatial_scale=scale, sampling_ratio=sampling_ratio,
                 mode=mode, aligned=aligned)
    got = run_op("RoIAlign", X, rois, bi, **attrs)
    want = reference.roi_align(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
    assert_close(got, want, X.dtype, scale=float(np.abs(X.astype(np.float64)).max()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_roi_pool_matches_reference(problem):
    X, boxes, bidx, layout, scale, oh, ow = problem
    rois, bi = as_inputs(X, boxes, bidx, layout)
    attrs = dict(output_height=oh, output_width=ow, spatial_scale=scale)
    got = run_op("RoIPool", X, rois, bi, **attrs)
    want = reference.roi_pool(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
    np.testing.assert_array_equal(got.astype(np.float64), want)
