"""CropAndResize through onnxruntime with the plugin: against the NumPy reference and against
tf.image.crop_and_resize values worked out by hand from TensorFlow's documented formula."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, run_crop

from roi_ops import reference

DTYPES = [np.float32, np.float64, np.float16]
IMAGE_2X2 = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
IMAGE_3X3 = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)

HAND_CASES = [
    # (image, box (y1, x1, y2, x2), crop (h, w), method, extrapolation, expected [h, w])
    (IMAGE_2X2, [0, 0, 1, 1], (1, 1), "bilinear", 0, [[2.5]]),  # a 1x1 crop samples the box centre
    (IMAGE_2X2, [0, 0, 1, 1], (3, 3), "bilinear", 0, [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]),
    (IMAGE_2X2, [1, 1, 0, 0], (3, 3), "bilinear", 0, [[4, 3.5, 3], [3, 2.5, 2], [2, 1.5, 1]]),  # flipped box
    (IMAGE_2X2, [-1, -1, 1, 1], (3, 3), "bilinear", -7, [[-7, -7, -7], [-7, 1, 2], [-7, 3, 4]]),
    (IMAGE_3X3, [0, 0, 1, 1], (2, 2), "nearest", 0, [[1, 3], [7, 9]]),
    (IMAGE_3X3, [0, 0, 0.25, 0.25], (2, 2), "nearest", 0, [[1, 2], [4, 5]]),  # 0.5 rounds away from zero
    (IMAGE_3X3, [0.25, 0.25, 0.75, 0.75], (1, 1), "bilinear", 0, [[5]]),
    (IMAGE_3X3, [0, 0, 0.25, 0.5], (2, 3), "bilinear", 0, [[1, 1.5, 2], [2.5, 3, 3.5]]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("image,box,crop,method,ext,expected", HAND_CASES)
def test_tensorflow_semantics_hand_values(dtype, image, box, crop, method, ext, expected):
    y = run_crop(image.astype(dtype), np.array([box], dtype), np.array([0], np.int32), crop_height=crop[0],
                 crop_width=crop[1], method=method, extrapolation_value=ext)
    np.testing.assert_allclose(y[0, 0].astype(np.float64), expected, rtol=0, atol=1e-6)
    want = reference.crop_and_resize(image, np.array([box]), np.array([0]), crop_height=crop[0], crop_width=crop[1],
                                      method=method, extrapolation_value=ext)
    np.testing.assert_allclose(want[0, 0], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index_type", [np.int32, np.int64])
@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize("crop", [(1, 1), (1, 5), (4, 1), (7, 9), (14, 14)])
@pytest.mark.parametrize("ext", [0.0, -2.5])
def test_grid_matches_reference(rng, dtype, index_type, method, crop, ext):
    X = rng.standard_normal((3, 17, 10, 13)).astype(dtype)
    boxes = rng.uniform(-0.3, 1.3, (12, 4)).astype(dtype)
    idx = rng.integers(0, 3, 12).astype(index_type)
    attrs = dict(crop_height=crop[0], crop_width=crop[1], method=method, extrapolation_value=ext)
    got = run_crop(X, boxes, idx, **attrs)
    want = reference.crop_and_resize(X.astype(np.float64), boxes.astype(np.float64), idx, **attrs)
    assert got.dtype == dtype
    assert_close(got, want, dtype, scale=float(np.abs(X.astype(np.float64)).max()))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize("count", [1, 3])
def test_few_large_crops_stage_only_their_rows(dtype, method, count):
    """A few large crops read a fraction of the rows of their windows, and the CPU kernel then
    stages only those rows: a row left out would show here (fresh large maps)."""
    rng = np.random.default_rng(20 + count)
    for _ in range(2):
        X = rng.standard_normal((2, 19, 70, 90)).astype(dtype)
        boxes = np.concatenate([rng.uniform(-0.1, 0.3, (count, 2)), rng.uniform(0.7, 1.1, (count, 2))], 1)
        idx = rng.integers(0, 2, count)
        attrs = dict(crop_height=5, crop_width=3, method=method, extrapolation_value=-1.0)
        got = run_crop(X, boxes.astype(dtype), idx, **attrs)
        want = reference.crop_and_resize(X.astype(np.float64), boxes.astype(dtype).astype(np.float64), idx, **attrs)
        assert_close(got, want, dtype, scale=float(np.abs(X.astype(np.float64)).max()))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hw", [(1, 9), (9, 1), (1, 1)])
def test_map_with_one_row_or_column(rng, dtype, hw):
    X = rng.standard_normal((2, 5, *hw)).astype(dtype)
    boxes = rng.uniform(-0.5, 1.5, (6, 4)).astype(dtype)
    idx = rng.integers(0, 2, 6)
    for method in ("bilinear", "nearest"):
        got = run_crop(X, boxes, idx, crop_height=3, crop_width=4, method=method)
        want = reference.crop_and_resize(X, boxes, idx, crop_height=3, crop_width=4, method=method)
        assert_close(got, want, dtype, scale=float(np.abs(X.astype(np.float64)).max()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_boxes_empty_maps_and_non_finite_boxes(dtype):
    y = run_crop(np.ones((1, 3, 4, 4), dtype), np.zeros((0, 4), dtype), np.zeros(0, np.int64), crop_height=2,
                 crop_width=3)
    assert y.shape == (0, 3, 2, 3)
    y = run_crop(np.ones((1, 3, 0, 4), dtype), np.array([[0, 0, 1, 1]], dtype), np.zeros(1, np.int64),
                 crop_height=2, crop_width=2, extrapolation_value=3.0)
    np.testing.assert_array_equal(y, np.full((1, 3, 2, 2), 3.0, dtype))
    X = np.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(dtype)
    big = float(np.finfo(dtype).max)
    boxes = np.array([[0, 0, 1, 1], [np.nan, 0, 1, 1], [0, 0, np.inf, 1], [-big, -big, big, big], [0, 0, 1e4, 1e4]],
                     dtype)
    y = run_crop(X, boxes, np.array([0, 1, 0, 1, 0]), crop_height=3, crop_width=3)
    assert np.isnan(y[1:3]).all()
    want = reference.crop_and_resize(X, boxes[[0, 3, 4]], np.array([0, 1, 0]), crop_height=3, crop_width=3)
    assert_close(y[[0, 3, 4]], want, dtype, scale=float(np.abs(X.astype(np.float64)).max()))
