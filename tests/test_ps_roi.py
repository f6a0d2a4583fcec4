"""PSRoIAlign and PSRoIPool (R-FCN) through onnxruntime with the plugin: the shared cases of
roi_op_tester.py against the NumPy reference, values worked out by hand from torchvision's rules,
and PSRoIAlign against its standard-op graph."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import random_rois, run_op
from roi_op_tester import DTYPES, RoiOpTester


class PositionSensitiveTester(RoiOpTester):
    outputs = [(1, 1), (2, 3), (3, 3), (7, 7)]

    def channels(self, c, oh, ow):
        return c * oh * ow

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_edge_rois(self, dtype):
        X = np.random.default_rng(3).standard_normal((1, 2 * 9, 9, 11)).astype(dtype)
        boxes = np.array([
            [2.5, 3.5, 2.5, 3.5],     # a point: PSRoIAlign has no minimum size, so no samples
            [9, 8, 2, 3],             # reversed
            [-50, -50, -20, -20],     # fully outside
            [5, 4, 500, 400],         # partly outside
            [0, 0, 11, 9],            # the whole map: the last row and column stay out of PSRoIPool
            [-0.5, -0.5, 0.5, 0.5],   # rounds to the corner pixel
        ])
        self.check(X, boxes, np.zeros(len(boxes), np.int64), False, output_height=3, output_width=3)


class TestPSRoIAlign(PositionSensitiveTester):
    op = "PSRoIAlign"
    grid_attrs = [dict(sampling_ratio=0), dict(sampling_ratio=2)]


class TestPSRoIPool(PositionSensitiveTester):
    op = "PSRoIPool"


def test_ps_roi_pool_hand_values_leave_out_last_row_and_column():
    # Channel c holds 10c + [[0,1,2],[3,4,5],[6,7,8]]; RoI (0,0,3,3), 2x2 bins of 1.5 px.
    # Windows by torchvision's rule: rows/cols [0,2) and [1,3) clamped to [1,2) (H-1 = 2).
    X = (np.arange(9.0).reshape(1, 1, 3, 3) + 10 * np.arange(4.0).reshape(1, 4, 1, 1)).astype(np.float32)
    y = run_op("PSRoIPool", X, np.array([[0, 0, 0, 3, 3]], np.float32), output_height=2, output_width=2)
    expected = [[(0 + 1 + 3 + 4) / 4, (11 + 14) / 2], [(23 + 24) / 2, 34]]
    np.testing.assert_array_equal(y[0, 0], np.array(expected, np.float32))


def test_ps_roi_align_hand_values():
    # Every channel is [[1,2],[3,4]] + 10c; RoI (0.5,0.5,1.5,1.5) → start 0, extent 1, one
    # sample per bin at 0.25 / 0.75: bilinear values 1.75, 2.25, 2.75, 3.25.
    X = (np.array([[1.0, 2], [3, 4]]).reshape(1, 1, 2, 2) + 10 * np.arange(4.0).reshape(1, 4, 1, 1))
    y = run_op("PSRoIAlign", X, np.array([[0, 0.5, 0.5, 1.5, 1.5]]), output_height=2, output_width=2,
               sampling_ratio=1)
    np.testing.assert_allclose(y[0, 0], [[1.75, 12.25], [22.75, 33.25]], rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_ps_roi_align_equals_standard_op_model(rng, dtype, sampling_ratio):
    import onnxruntime as ort

    from roi_ops.standard_models import ps_roi_align_model

    X = rng.standard_normal((2, 4 * 9, 14, 17)).astype(dtype)
    boxes, bidx = random_rois(rng, 20, 2, 56, 68, min_size=2, outside=0.1)
    boxes = boxes.astype(dtype)
    attrs = dict(output_height=3, output_width=3, spatial_scale=0.25, sampling_ratio=sampling_ratio)
    model = ps_roi_align_model(X.shape[1], dtype=dtype, **attrs)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    standard = session.run(None, {"X": X, "rois": boxes, "batch_indices": bidx})[0]
    np.testing.assert_allclose(run_op("PSRoIAlign", X, boxes, bidx, **attrs), standard, rtol=1e-5,
                               atol=1e-5 * float(np.abs(X).max()))
