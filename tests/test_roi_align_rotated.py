"""RoIAlignRotated through onnxruntime with the plugin: against the NumPy reference, mmcv's
published test values, and RoIAlign for unrotated boxes (detectron2's own check)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, random_rois, run_op

from roi_ops import reference

DTYPES = [np.float32, np.float64, np.float16]


def rotated_boxes(rng, k, n, img_h, img_w, *, angles=(-180, 180), **kw):
    boxes, bidx = random_rois(rng, k, n, img_h, img_w, **kw)
    wh = boxes[:, 2:] - boxes[:, :2]
    centres = boxes[:, :2] + wh / 2
    return np.concatenate([centres, wh, rng.uniform(*angles, (k, 1))], 1), bidx


def check(X, boxes, bidx, layout, **attrs):
    if layout == 6:
        rois, bi = np.concatenate([bidx[:, None].astype(np.float64), boxes], 1).astype(X.dtype), None
    else:
        rois, bi = boxes.astype(X.dtype), bidx
    got = run_op("RoIAlignRotated", X, rois, bi, **attrs)
    want = reference.roi_align_rotated(X.astype(np.float64), rois.astype(np.float64), bi, **attrs)
    assert got.dtype == X.dtype
    assert_close(got, want, X.dtype, scale=float(np.abs(X.astype(np.float64)).max(initial=0)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [5, 6])
@pytest.mark.parametrize("out", [(1, 1), (2, 3), (7, 7)])
@pytest.mark.parametrize("scale", [1.0, 1 / 4, 1 / 16])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_grid_matches_reference(rng, dtype, layout, out, scale, sampling_ratio):
    X = rng.standard_normal((2, 21, 12, 15)).astype(dtype)
    boxes, bidx = rotated_boxes(rng, 8, 2, 12 / scale, 15 / scale, min_size=0.5 / scale, outside=0.2)
    check(X, boxes, bidx, layout, output_height=out[0], output_width=out[1], spatial_scale=scale,
          sampling_ratio=sampling_ratio)


@pytest.mark.parametrize("aligned", [0, 1])
@pytest.mark.parametrize("clockwise", [0, 1])
@pytest.mark.parametrize("unit", ["degrees", "radians"])
def test_conventions_match_reference(rng, aligned, clockwise, unit):
    X = rng.standard_normal((1, 5, 16, 16)).astype(np.float32)
    boxes, bidx = rotated_boxes(rng, 10, 1, 16, 16, min_size=0.3, max_size=12)
    if unit == "radians":
        boxes[:, 4] = np.deg2rad(boxes[:, 4])
    check(X, boxes, bidx, 5, output_height=3, output_width=4, aligned=aligned, clockwise=clockwise, angle_unit=unit)


# mmcv's tests/test_ops/test_roi_align_rotated.py: roi_align_rotated(x, rois, (2, 2), 1.0, 2,
# aligned=True), angles in radians, counter-clockwise; rois (batch, cx, cy, w, h, angle).
MMCV_CASES = [
    ([[[[1., 2.], [3., 4.]]]], [0., 0.5, 0.5, 1., 1., 0], [[[[1.0, 1.25], [1.5, 1.75]]]]),
    ([[[[1., 2.], [3., 4.]]]], [0., 0.5, 0.5, 1., 1., np.pi / 2], [[[[1.5, 1], [1.75, 1.25]]]]),
    ([[[[1., 2.], [3., 4.]], [[4., 3.], [2., 1.]]]], [0., 0.5, 0.5, 1., 1., 0],
     [[[[1.0, 1.25], [1.5, 1.75]], [[4.0, 3.75], [3.5, 3.25]]]]),
    ([[[[1., 2., 5., 6.], [3., 4., 7., 8.], [9., 10., 13., 14.], [11., 12., 15., 16.]]]], [0., 1.5, 1.5, 3., 3., 0],
     [[[[1.9375, 4.75], [7.5625, 10.375]]]]),
    ([[[[1., 2., 5., 6.], [3., 4., 7., 8.], [9., 10., 13., 14.], [11., 12., 15., 16.]]]],
     [0., 1.5, 1.5, 3., 3., np.pi / 2], [[[[7.5625, 1.9375], [10.375, 4.75]]]]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x,roi,expected", MMCV_CASES)
def test_mmcv_published_values(dtype, x, roi, expected):
    y = run_op("RoIAlignRotated", np.array(x, dtype), np.array([roi], dtype), output_height=2, output_width=2,
               sampling_ratio=2, angle_unit="radians", aligned=1, clockwise=0)
    np.testing.assert_allclose(y.astype(np.float64), expected, rtol=0, atol=1e-3 if dtype == np.float16 else 1e-6)


@pytest.mark.parametrize("aligned", [0, 1])
def test_unrotated_equals_roi_align(rng, aligned):
    # detectron2's check: angle 0 samples exactly where RoIAlign does for (cx-w/2, cy-h/2, cx+w/2, cy+h/2).
    # Boxes of at least one feature pixel: below that the legacy minimum size grows RoIAlign's box
    # from its corner but the rotated box from its centre.
    X = rng.standard_normal((2, 9, 20, 24))
    boxes, bidx = rotated_boxes(rng, 12, 2, 80, 96, angles=(0, 0), min_size=4, outside=0.1)
    corners = np.concatenate([boxes[:, :2] - boxes[:, 2:4] / 2, boxes[:, :2] + boxes[:, 2:4] / 2], 1)
    rot = run_op("RoIAlignRotated", X, boxes, bidx, output_height=7, output_width=5, spatial_scale=0.25,
                 aligned=aligned)
    ali = run_op("RoIAlign", X, corners, bidx, output_height=7, output_width=5, spatial_scale=0.25, aligned=aligned)
    np.testing.assert_allclose(rot, ali, rtol=1e-12, atol=1e-12)


def test_half_turn_flips_the_output(rng):
    X = rng.standard_normal((1, 4, 20, 20))
    boxes, bidx = rotated_boxes(rng, 6, 1, 20, 20, angles=(0, 0), min_size=3, max_size=10)
    turned = boxes.copy()
    turned[:, 4] = 180
    a = run_op("RoIAlignRotated", X, boxes, bidx, output_height=4, output_width=3, sampling_ratio=2)
    b = run_op("RoIAlignRotated", X, turned, bidx, output_height=4, output_width=3, sampling_ratio=2)
    np.testing.assert_allclose(b, a[:, :, ::-1, ::-1], rtol=1e-9, atol=1e-9)


def test_clockwise_is_the_negated_angle(rng):
    X = rng.standard_normal((1, 4, 20, 20))
    boxes, bidx = rotated_boxes(rng, 6, 1, 20, 20, min_size=3, max_size=10)
    negated = boxes.copy()
    negated[:, 4] *= -1
    a = run_op("RoIAlignRotated", X, boxes, bidx, output_height=3, output_width=3, clockwise=1)
    b = run_op("RoIAlignRotated", X, negated, bidx, output_height=3, output_width=3, clockwise=0)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_rois_empty_maps_non_finite_and_huge_boxes(dtype):
    y = run_op("RoIAlignRotated", np.ones((1, 3, 4, 4), dtype), np.zeros((0, 6), dtype), output_height=2)
    assert y.shape == (0, 3, 2, 1)
    y = run_op("RoIAlignRotated", np.ones((1, 3, 0, 4), dtype), np.array([[0, 1, 1, 2, 2, 30]], dtype))
    np.testing.assert_array_equal(y, np.zeros((1, 3, 1, 1), dtype))
    X = np.random.default_rng(2).standard_normal((2, 3, 8, 8)).astype(dtype)
    rois = np.array([[1, 4, 4, 3, 3, 10], [0, np.nan, 1, 5, 5, 0], [1, 4, 4, 3, 3, np.inf]], dtype)
    y = run_op("RoIAlignRotated", X, rois, output_height=2, output_width=2)
    assert np.isnan(y[1:]).all() and np.isfinite(y[0]).all()
    # Absurd but finite boxes finish quickly with finite output: work is bounded by the map.
    big = np.finfo(dtype).max / 4
    rois = np.array([[0, 4, 4, big, big, 30], [1, -big, big, 3, big, 0], [0, 4, 4, 1e4, 1e4, 45]], dtype)
    y = run_op("RoIAlignRotated", X, rois, output_height=2, output_width=2)
    assert np.isfinite(y).all()
