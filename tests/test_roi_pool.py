"""RoIPool through onnxruntime with the plugin against the NumPy reference. A max of input values
involves no rounding, so every dtype must match exactly."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import random_rois, run_op

from roi_ops import reference

DTYPES = [np.float32, np.float64, np.float16]


def check(X, boxes, bidx, layout, **attrs):
    if layout == 5:
        rois = np.concatenate([bidx[:, None].astype(np.float64), boxes], 1).astype(X.dtype)
        got = run_op("RoIPool", X, rois, **attrs)
        want = reference.roi_pool(X.astype(np.float64), rois.astype(np.float64), **attrs)
    else:
        rois = boxes.astype(X.dtype)
        got = run_op("RoIPool", X, rois, bidx, **attrs)
        want = reference.roi_pool(X.astype(np.float64), rois.astype(np.float64), bidx, **attrs)
    assert got.dtype == X.dtype
    np.testing.assert_array_equal(got.astype(np.float64), want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [4, 5])
@pytest.mark.parametrize("out", [(1, 1), (2, 3), (7, 7), (14, 14)])
@pytest.mark.parametrize("scale", [1.0, 1 / 4, 1 / 16, 1 / 32])
def test_grid_matches_reference(rng, dtype, layout, out, scale):
    X = rng.standard_normal((2, 19, 13, 17)).astype(dtype)
    boxes, bidx = random_rois(rng, 10, 2, 13 / scale, 17 / scale, min_size=0.5 / scale, outside=0.3)
    check(X, boxes, bidx, layout, output_height=out[0], output_width=out[1], spatial_scale=scale)


@pytest.mark.parametrize("dtype", DTYPES)
def test_edge_rois(dtype):
    X = np.random.default_rng(4).standard_normal((1, 5, 9, 11)).astype(dtype)
    boxes = np.array([
        [2.5, 3.5, 2.5, 3.5],    # a point on .5: rounds away from zero
        [-2.5, -1.5, 1.49, 0.5],  # negative halves
        [9, 8, 2, 3],            # reversed: size clamps to 1
        [-50, -50, -20, -20],    # fully outside: empty windows give 0
        [5, 4, 500, 400],        # partly outside
        [0, 0, 10, 8],           # the whole map
    ])
    bidx = np.zeros(len(boxes), np.int64)
    for out in [(1, 1), (3, 2), (7, 7), (12, 14)]:
        check(X, boxes, bidx, 4, output_height=out[0], output_width=out[1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hw", [(1, 9), (9, 1), (1, 1)])
def test_map_with_one_row_or_column(rng, dtype, hw):
    X = rng.standard_normal((2, 5, *hw)).astype(dtype)
    boxes, bidx = random_rois(rng, 6, 2, hw[0], hw[1], min_size=0.2, outside=0.5)
    check(X, boxes, bidx, 5, output_height=2, output_width=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_rois_and_empty_maps(dtype):
    y = run_op("RoIPool", np.ones((1, 3, 4, 4), dtype), np.zeros((0, 5), dtype), output_height=2, output_width=2)
    assert y.shape == (0, 3, 2, 2)
    X = np.zeros((1, 3, 0, 4), dtype)
    y = run_op("RoIPool", X, np.array([[0, 0, 0, 2, 2]], dtype), output_height=2, output_width=2)
    np.testing.assert_array_equal(y, np.zeros((1, 3, 2, 2), dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_finite_roi_gives_nan_block(dtype):
    X = np.random.default_rng(5).standard_normal((2, 3, 8, 8)).astype(dtype)
    rois = np.array([[1, 1, 1, 6, 6], [0, np.nan, 1, 6, 6], [1, 0, np.inf, 6, 6], [0, 0, 0, 1e4, -np.inf]], dtype)
    y = run_op("RoIPool", X, rois, output_height=2, output_width=2)
    assert np.isnan(y[1:]).all()
    np.testing.assert_array_equal(y[:1], reference.roi_pool(X, rois[:1], output_height=2, output_width=2))


def test_huge_finite_coordinates_do_not_overflow():
    X = np.arange(2 * 6 * 6, dtype=np.float64).reshape(1, 2, 6, 6)
    rois = np.array([[0, -1e300, -1e300, 1e300, 1e300], [0, 2, 2, 1e18, 1e18]])
    y = run_op("RoIPool", X, rois, output_height=2, output_width=2)
    assert np.isfinite(y).all()
