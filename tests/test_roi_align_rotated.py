"""RoIAlignRotated through onnxruntime with the plugin: the shared cases of roi_op_tester.py
against the NumPy reference, mmcv's published test values, and RoIAlign for unrotated boxes
(detectron2's own check)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import random_rois, run_op
from roi_op_tester import DTYPES, RoiOpTester


def rotated_boxes(rng, k, n, img_h, img_w, *, angles=(-180, 180), **kw):
    boxes, bidx = random_rois(rng, k, n, img_h, img_w, **kw)
    wh = boxes[:, 2:] - boxes[:, :2]
    centres = boxes[:, :2] + wh / 2
    return np.concatenate([centres, wh, rng.uniform(*angles, (k, 1))], 1), bidx


class TestRoIAlignRotated(RoiOpTester):
    op = "RoIAlignRotated"
    box_cols = 5
    grid_attrs = [dict(sampling_ratio=0), dict(sampling_ratio=2)]

    def boxes(self, rng, k, n, img_h, img_w, **kw):
        return rotated_boxes(rng, k, n, img_h, img_w, **kw)

    @pytest.mark.parametrize("aligned", [0, 1])
    @pytest.mark.parametrize("clockwise", [0, 1])
    @pytest.mark.parametrize("unit", ["degrees", "radians"])
    def test_conventions_match_reference(self, rng, aligned, clockwise, unit):
        X = rng.standard_normal((1, 5, 16, 16)).astype(np.float32)
        boxes, bidx = rotated_boxes(rng, 10, 1, 16, 16, min_size=0.3, max_size=12)
        if unit == "radians":
            boxes[:, 4] = np.deg2rad(boxes[:, 4])
        self.check(X, boxes, bidx, False, output_height=3, output_width=4, aligned=aligned, clockwise=clockwise,
                   angle_unit=unit)

    @pytest.mark.parametrize("dtype", DTYPES)
    @pytest.mark.parametrize("hw", [(60, 80), (3, 4)])
    def test_few_small_rois_far_apart(self, rng, dtype, hw):
        # A few RoIs far apart stage only the cells they read, 16 cells at a time where a whole
        # block of channels is there (ops/cpu/channel_blocks.cc, stage_runs): 37 channels
        # (two full blocks and a tail), RoIs at the map's first and last cells, and a map of under
        # 16 cells. Two maps in turn, so a cell the staging missed would keep the first one's value,
        # and each RoI alone on a map of its own too, so that no other RoI's staging can fill in a
        # cell it missed (the long thin ones read few cells of their window, so alone they take
        # this path too). Alone they also sample densely (sampling_ratio 0: samples under a cell
        # apart), so that a row's reads run on past a 16-cell run: with 2 samples per bin they
        # skip the cell right after a float32 run, and an off-by-one there went unseen.
        h, w = hw
        boxes = np.array([[6, 6, 14, 10, 30], [w * 4 - 5, h * 4 - 5, 12, 16, -60], [w * 2, h * 2, 40, 24, 100],
                          [w * 3, h, 9, 30, 10], [w * 2, h * 2, 200, 8, 45], [w * 2, h * 2, 200, 8, 5],
                          [w * 2, h * 2, 240, 6, 2]], np.float64)
        bidx = np.array([0, 1, 1, 0, 1, 0, 1], np.int64)
        for _ in range(2):
            X = rng.standard_normal((2, 37, h, w)).astype(dtype)
            self.check(X, boxes, bidx, False, output_height=7, output_width=7, spatial_scale=0.25, sampling_ratio=2)
            for k in range(len(boxes)):
                for sampling_ratio in (2, 0):
                    X = rng.standard_normal((2, 37, h, w)).astype(dtype)
                    self.check(X, boxes[k:k + 1], bidx[k:k + 1], False, output_height=7, output_width=7,
                               spatial_scale=0.25, sampling_ratio=sampling_ratio)


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
def test_huge_finite_boxes_finish_with_finite_output(dtype):
    # Absurd but finite boxes finish quickly with finite output: work is bounded by the map.
    X = np.random.default_rng(2).standard_normal((2, 3, 8, 8)).astype(dtype)
    big = np.finfo(dtype).max / 4
    rois = np.array([[0, 4, 4, big, big, 30], [1, -big, big, 3, big, 0], [0, 4, 4, 1e4, 1e4, 45]], dtype)
    y = run_op("RoIAlignRotated", X, rois, output_height=2, output_width=2)
    assert np.isfinite(y).all()
