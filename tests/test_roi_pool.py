"""RoIPool through onnxruntime with the plugin against the NumPy reference: the shared cases of
roi_op_tester.py and RoIPool's rounding edges. A max of input values involves no rounding, so
every dtype must match exactly."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import few_and_many_rois, run_op
from roi_op_tester import DTYPES, RoiOpTester


class TestRoIPool(RoiOpTester):
    op = "RoIPool"
    exact = True
    outputs = [(1, 1), (2, 3), (7, 7), (14, 14)]
    scales = [1.0, 1 / 4, 1 / 16, 1 / 32]

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_edge_rois(self, dtype):
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
            self.check(X, boxes, bidx, False, output_height=out[0], output_width=out[1])

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_few_rois_path_and_staged_path_agree(self, dtype):
        # Up to 16 RoIs take each bin row's maximum over its map rows straight from the map first
        # (ops/cpu/rows_first.h), more go through staged channel blocks (ops/cpu/roi_driver.h). 17
        # RoIs and their first 16 take one each; both match the reference exactly, and each other
        # bit for bit, non-finite map values included; bin rows of one to many map rows.
        X, boxes, bidx = few_and_many_rois(dtype, 8)
        attrs = dict(output_height=7, output_width=6, spatial_scale=0.25)
        self.check(X, boxes, bidx, False, **attrs)
        self.check(X, boxes[:16], bidx[:16], False, **attrs)
        X[0, 3, 10:13, 20:30] = np.inf  # rows that RoI 0's bins read
        X[0, 4, 12:14, 30:90] = -np.inf
        X[0, 5, 20:23, 50:70] = np.nan  # never the max, as on the staged path
        X[0, 6, 2:35, 2:125] = np.nan  # every value of some of RoI 0's bins
        rois = boxes.astype(dtype)
        many = run_op(self.op, X, rois, bidx, **attrs)
        few = run_op(self.op, X, rois[:16], bidx[:16], **attrs)
        assert np.isinf(few).any() and (few == -np.inf).any()
        np.testing.assert_array_equal(few, many[:16])


def test_huge_finite_coordinates_do_not_overflow():
    X = np.arange(2 * 6 * 6, dtype=np.float64).reshape(1, 2, 6, 6)
    rois = np.array([[0, -1e300, -1e300, 1e300, 1e300], [0, 2, 2, 1e18, 1e18]])
    y = run_op("RoIPool", X, rois, output_height=2, output_width=2)
    assert np.isfinite(y).all()
