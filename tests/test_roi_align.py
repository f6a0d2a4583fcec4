"""RoIAlign through onnxruntime with the plugin against the float64 NumPy reference."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import assert_close, random_rois, run_op

from roi_ops import reference

DTYPES = [np.float32, np.float64, np.float16]
MODES = ["avg", "max", "onnx_max"]


def check(X, boxes, bidx, layout, **attrs):
    """Runs the plugin in the given RoI layout and compares with the reference."""
    dtype = X.dtype
    if layout == 5:
        rois = np.concatenate([bidx[:, None].astype(np.float64), boxes], 1).astype(dtype)
        got = run_op("RoIAlign", X, rois, **attrs)
        want = reference.roi_align(X.astype(np.float64), rois.astype(np.float64), **attrs)
    else:
        rois = boxes.astype(dtype)
        got = run_op("RoIAlign", X, rois, bidx, **attrs)
        want = reference.roi_align(X.astype(np.float64), rois.astype(np.float64), bidx, **attrs)
    assert got.dtype == dtype
    assert_close(got, want, dtype, scale=float(np.abs(X.astype(np.float64)).max(initial=0)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [4, 5])
@pytest.mark.parametrize("aligned", [0, 1])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sampling_ratio", [0, 1, 2, 4])
def test_grid_matches_reference(rng, dtype, layout, aligned, mode, sampling_ratio):
    X = rng.standard_normal((2, 19, 23, 29)).astype(dtype)  # 19 channels: one full block and a tail
    boxes, bidx = random_rois(rng, 12, 2, 23 * 4, 29 * 4, min_size=0.3, outside=0.3)
    check(X, boxes, bidx, layout, output_height=7, output_width=5, spatial_scale=0.25,
          sampling_ratio=sampling_ratio, mode=mode, aligned=aligned)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out", [(1, 1), (2, 3), (7, 7), (14, 14)])
@pytest.mark.parametrize("scale", [1 / 4, 1 / 16, 1 / 32])
def test_output_sizes_and_scales(rng, dtype, out, scale):
    X = rng.standard_normal((1, 8, 17, 21)).astype(dtype)
    boxes, bidx = random_rois(rng, 9, 1, 17 / scale, 21 / scale, min_size=0.5 / scale, outside=0.1)
    for mode, aligned in itertools.product(MODES, [0, 1]):
        check(X, boxes, bidx, 4, output_height=out[0], output_width=out[1], spatial_scale=scale,
              sampling_ratio=0, mode=mode, aligned=aligned)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_rois_inside_partly_and_fully_outside(dtype, mode):
    X = np.random.default_rng(1).standard_normal((1, 3, 10, 12)).astype(dtype)
    boxes = np.array([
        [1, 1, 8, 7],          # inside
        [-5, -4, 4, 5],        # partly outside, top-left
        [8, 6, 20, 18],        # partly outside, bottom-right
        [30, 30, 40, 45],      # fully outside
        [-20, -20, -10, -12],  # fully outside, negative
        [-2, -2, 14, 12],      # covers the map with a border
    ])
    bidx = np.zeros(len(boxes), np.int64)
    for aligned, sr in itertools.product([0, 1], [0, 2]):
        check(X, boxes, bidx, 4, output_height=3, output_width=4, sampling_ratio=sr, mode=mode, aligned=aligned)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_tiny_reversed_and_huge_rois(dtype, mode):
    X = np.random.default_rng(2).standard_normal((1, 4, 16, 16)).astype(dtype)
    boxes = np.array([
        [5.2, 5.3, 5.6, 5.4],    # smaller than a pixel
        [7, 7, 7, 7],            # a point
        [9, 9, 3, 4],            # reversed
        [-300, -250, 400, 350],  # far larger than the map
        [0, 0, 4000, 16],        # huge in one direction
    ])
    bidx = np.zeros(len(boxes), np.int64)
    for aligned, sr in itertools.product([0, 1], [0, 1, 4]):
        check(X, boxes, bidx, 5, output_height=5, output_width=3, sampling_ratio=sr, mode=mode, aligned=aligned)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hw", [(1, 9), (9, 1), (1, 1)])
def test_map_with_one_row_or_column(rng, dtype, hw):
    X = rng.standard_normal((2, 5, *hw)).astype(dtype)
    boxes, bidx = random_rois(rng, 6, 2, hw[0], hw[1], min_size=0.2, outside=0.5)
    for mode, aligned in itertools.product(MODES, [0, 1]):
        check(X, boxes, bidx, 4, output_height=2, output_width=3, sampling_ratio=2, mode=mode, aligned=aligned)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", [4, 5])
def test_no_rois_gives_empty_output(dtype, layout):
    X = np.ones((2, 3, 5, 5), dtype)
    if layout == 4:
        y = run_op("RoIAlign", X, np.zeros((0, 4), dtype), np.zeros(0, np.int64), output_height=2, output_width=3)
    else:
        y = run_op("RoIAlign", X, np.zeros((0, 5), dtype), output_height=2, output_width=3)
    assert y.shape == (0, 3, 2, 3) and y.dtype == dtype


@pytest.mark.parametrize("shape", [(1, 0, 5, 5), (1, 3, 0, 5), (1, 3, 5, 0), (2, 0, 0, 0)])
def test_empty_maps(shape):
    X = np.zeros(shape, np.float32)
    rois = np.array([[0, 0, 0, 3, 3], [0, -1, 1, 2, 9], [0, np.nan, 0, 1, 1]], np.float32)
    y = run_op("RoIAlign", X, rois, output_height=2, output_width=2)
    want = reference.roi_align(X, rois, output_height=2, output_width=2)
    assert y.shape == (3, shape[1], 2, 2)
    np.testing.assert_array_equal(y, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mixed_batch_indices(rng, dtype):
    X = rng.standard_normal((4, 6, 12, 14)).astype(dtype)
    boxes, _ = random_rois(rng, 20, 4, 12, 14, min_size=1)
    bidx = np.array([3, 0, 2, 2, 1, 0, 3, 3, 1, 0, 2, 1, 0, 0, 3, 2, 1, 1, 3, 0], np.int64)
    check(X, boxes, bidx, 4, output_height=3, output_width=3, sampling_ratio=2)
    check(X, boxes, bidx, 5, output_height=3, output_width=3, sampling_ratio=0, aligned=1, mode="max")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_roi_gives_nan_block(dtype, bad):
    X = np.random.default_rng(3).standard_normal((1, 3, 8, 8)).astype(dtype)
    for col in range(4):
        rois = np.array([[0, 1, 1, 6, 6], [0, 1, 1, 6, 6]], dtype)
        rois[1, 1 + col] = bad
        for mode in MODES:
            y = run_op("RoIAlign", X, rois, output_height=2, output_width=2, mode=mode)
            assert np.isnan(y[1]).all()
            want = reference.roi_align(X.astype(np.float64), rois[:1].astype(np.float64), output_height=2,
                                       output_width=2, mode=mode)
            assert_close(y[:1], want, dtype)


def test_half_accumulates_in_float32():
    # 64 samples of 1000 + 0.5: a float16 running sum would lose the halves (ulp at 1000 is 0.5,
    # at 2048+ it is 2); accumulated in float32 the mean stays 1000.5.
    X = np.full((1, 1, 8, 8), 1000.5, np.float16)
    y = run_op("RoIAlign", X, np.array([[0, 0, 0, 7, 7]], np.float16), output_height=1, output_width=1,
               sampling_ratio=8)
    assert y[0, 0, 0, 0] == np.float16(1000.5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("count", [1, 2, 3, 40])
def test_few_small_rois_on_a_large_map(dtype, mode, count):
    """Few small RoIs stage only the cells they read (each RoI's window, or the windows' union);
    many stage the whole map. Every map is new, so a staged buffer left by an earlier call or
    RoI with other numbers would show; boxes sit at corners, edges and partly outside."""
    rng = np.random.default_rng(count)
    for _ in range(3):
        X = rng.standard_normal((2, 20, 60, 90)).astype(dtype)
        corners = np.array([[1, 1, 9, 7], [80, 50, 95, 66], [-5, 30, 6, 41], [40, -3, 52, 4]], np.float64)
        jitter = rng.uniform(-2, 2, (count, 4))
        boxes = corners[np.arange(count) % 4] + jitter
        boxes[4:, :2] = rng.uniform(0, 80, (max(count - 4, 0), 2))
        boxes[4:, 2:] = boxes[4:, :2] + rng.uniform(1, 12, (max(count - 4, 0), 2))
        bidx = rng.integers(0, 2, count)
        for layout in (4, 5):
            check(X, boxes, bidx, layout, output_height=3, output_width=4, spatial_scale=1.0, sampling_ratio=2,
                  mode=mode)
