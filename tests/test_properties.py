"""Property tests: random shapes, boxes and attributes for every op, plugin against the reference."""
from __future__ import annotations

import numpy as np
from conftest import assert_close, run_crop, run_multi_scale, run_op
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roi_ops import reference

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPE = st.sampled_from([np.float32, np.float64, np.float16])
coord = st.floats(-40, 80, allow_nan=False, width=32)


def x64_max(X) -> float:
    return float(np.abs(X.astype(np.float64)).max(initial=0))


def with_layout(rois, bidx, layout_first: bool):
    if layout_first:
        return np.concatenate([bidx[:, None].astype(rois.dtype), rois], 1), None
    return rois, bidx


@st.composite
def roi_problem(draw, box_cols=4, channels_per_bin=False):
    n, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 12)), draw(st.integers(1, 12))
    oh, ow, k = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(0, 6))
    c = draw(st.integers(1, 3)) * oh * ow if channels_per_bin else draw(st.integers(1, 20))
    dtype = draw(DTYPE)
    X = np.random.default_rng(draw(st.integers(0, 2**31 - 1))).standard_normal((n, c, h, w)).astype(dtype)
    boxes = np.array([[draw(coord) for _ in range(box_cols)] for _ in range(k)], np.float64).reshape(k, box_cols)
    bidx = np.array([draw(st.integers(0, n - 1)) for _ in range(k)], np.int64)
    rois, bi = with_layout(boxes.astype(dtype), bidx, draw(st.booleans()))
    scale = draw(st.sampled_from([1.0, 0.5, 0.25, 1 / 16]))
    return X, rois, bi, dict(output_height=oh, output_width=ow, spatial_scale=scale)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roi_problem(), st.sampled_from(["avg", "max", "onnx_max"]), st.integers(0, 1), st.sampled_from([0, 1, 2, 3]))
def test_roi_align_matches_reference(problem, mode, aligned, sampling_ratio):
    X, rois, bi, attrs = problem
    attrs.update(sampling_ratio=sampling_ratio, mode=mode, aligned=aligned)
    got = run_op("RoIAlign", X, rois, bi, **attrs)
    want = reference.roi_align(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
    assert_close(got, want, X.dtype, scale=x64_max(X))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roi_problem())
def test_roi_pool_matches_reference(problem):
    X, rois, bi, attrs = problem
    got = run_op("RoIPool", X, rois, bi, **attrs)
    want = reference.roi_pool(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
    np.testing.assert_array_equal(got.astype(np.float64), want)  # a max of input values: exact


@SETTINGS
@given(roi_problem(channels_per_bin=True), st.sampled_from([0, 1, 2, 3]))
def test_ps_roi_align_matches_reference(problem, sampling_ratio):
    X, rois, bi, attrs = problem
    got = run_op("PSRoIAlign", X, rois, bi, sampling_ratio=sampling_ratio, **attrs)
    want = reference.ps_roi_align(X.astype(np.float64), rois.astype(np.float64), bi, sampling_ratio=sampling_ratio,
                                  **attrs)
    assert_close(got, want, X.dtype, scale=x64_max(X))


@SETTINGS
@given(roi_problem(channels_per_bin=True))
def test_ps_roi_pool_matches_reference(problem):
    X, rois, bi, attrs = problem
    got = run_op("PSRoIPool", X, rois, bi, **attrs)
    want = reference.ps_roi_pool(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
    assert_close(got, want, X.dtype, scale=x64_max(X))


@SETTINGS
@given(roi_problem(box_cols=5), st.sampled_from([0, 1, 2]), st.integers(0, 1), st.integers(0, 1),
       st.sampled_from(["degrees", "radians"]))
def test_roi_align_rotated_matches_reference(problem, sampling_ratio, aligned, clockwise, unit):
    X, rois, bi, attrs = problem
    # (cx, cy, w, h, angle): keep sizes moderate so the reference's dense sample grid stays small.
    cols = slice(3, 5) if bi is None else slice(2, 4)
    rois[:, cols] = np.abs(rois[:, cols]) / 2
    attrs.update(sampling_ratio=sampling_ratio, aligned=aligned, clockwise=clockwise, angle_unit=unit)
    got = run_op("RoIAlignRotated", X, rois, bi, **attrs)
    want = reference.roi_align_rotated(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
    assert_close(got, want, X.dtype, scale=x64_max(X))


@st.composite
def pyramid_problem(draw):
    levels, n, c = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.integers(1, 18))
    dtype = draw(DTYPE)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    first = draw(st.integers(1, 3))  # finest level 1/2 ... 1/8
    scales = [2.0 ** -(first + i) for i in range(levels)]
    size = draw(st.sampled_from([64, 128, 256]))
    maps = [rng.standard_normal((n, c, max(int(size * s), 1), max(int(size * s), 1))).astype(dtype) for s in scales]
    k = draw(st.integers(0, 8))
    xy = rng.uniform(-20, size, (k, 2))
    wh = np.exp(rng.uniform(0, np.log(2 * size), (k, 2))) * draw(st.sampled_from([1, -1]))
    boxes = np.concatenate([xy, xy + wh], 1).astype(dtype)
    bidx = rng.integers(0, n, k)
    rois, bi = with_layout(boxes, bidx, draw(st.booleans()))
    attrs = dict(spatial_scales=scales, output_height=draw(st.integers(1, 4)), output_width=draw(st.integers(1, 4)),
                 sampling_ratio=draw(st.sampled_from([0, 2])), aligned=draw(st.integers(0, 1)),
                 canonical_scale=draw(st.sampled_from([224.0, 56.0, 100.0])), canonical_level=draw(st.integers(1, 5)),
                 eps=draw(st.sampled_from([1e-6, 1e-8, 0.0])), eps_in_log=draw(st.integers(0, 1)))
    return maps, rois, bi, attrs


@SETTINGS
@given(pyramid_problem())
def test_multi_scale_roi_align_matches_reference(problem):
    maps, rois, bi, attrs = problem
    got = run_multi_scale(maps, rois, bi, **attrs)
    want = reference.multi_scale_roi_align(rois.astype(np.float64), bi, *[m.astype(np.float64) for m in maps],
                                           **attrs)
    assert_close(got, want, maps[0].dtype, scale=max(x64_max(m) for m in maps))


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.integers(1, 10), st.integers(0, 6), DTYPE,
       st.integers(0, 2**31 - 1), st.integers(1, 6), st.integers(1, 6), st.sampled_from(["bilinear", "nearest"]),
       st.sampled_from([0.0, -1.0, 7.5]), st.sampled_from([np.int32, np.int64]))
def test_crop_and_resize_matches_reference(n, h, w, c, k, dtype, seed, ch, cw, method, ext, index_type):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, c, h, w)).astype(dtype)
    boxes = rng.uniform(-0.5, 1.5, (k, 4)).astype(dtype)
    idx = rng.integers(0, n, k).astype(index_type)
    attrs = dict(crop_height=ch, crop_width=cw, method=method, extrapolation_value=ext)
    got = run_crop(X, boxes, idx, **attrs)
    want = reference.crop_and_resize(X.astype(np.float64), boxes.astype(np.float64), idx, **attrs)
    assert_close(got, want, dtype, scale=x64_max(X))
