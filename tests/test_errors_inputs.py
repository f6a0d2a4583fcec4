"""Every bad-input class of docs/spec.md ("Common rules") ends in an onnxruntime error, when the
session runs, whose message names the op, the input and the problem; never a crash: shapes and
layouts, batch and box indices, element types and outputs over the size limit, for every op."""
from __future__ import annotations

import numpy as np
import pytest
from error_sessions import F, crop_session, expect_error, multi_scale_session, session
from onnx import TensorProto

OPS = ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool"]
X = np.zeros((2, 3, 8, 8), np.float32)
X8 = np.zeros((2, 8, 8, 8), np.float32)  # 8 channels: 2 x 2 x 2 for the position-sensitive ops
R4 = np.array([[0, 0, 4, 4], [1, 1, 5, 5]], np.float32)
BI = np.array([0, 1], np.int64)


@pytest.mark.parametrize("op", OPS)
def test_wrong_rank_of_x(op):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": np.zeros((3, 8, 8), np.float32), "rois": R4, "bi": BI}),
                 op, "input 'X' must be 4-D [N,C,H,W]; got shape [3,8,8]")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("rois_shape", [(2, 3), (2, 6), (8,), (2, 4, 1)])
def test_wrong_rank_or_trailing_dim_of_rois(op, rois_shape):
    s = session(op, {})
    shape_txt = "[" + ",".join(map(str, rois_shape)) + "]"
    expect_error(lambda: s.run(None, {"X": X, "rois": np.zeros(rois_shape, np.float32), "bi": BI}),
                 op, "input 'rois' must be 2-D [K,4] (with batch_indices) or [K,5]", f"got shape {shape_txt}")


@pytest.mark.parametrize("op", OPS)
def test_rois4_without_batch_indices(op):
    s = session(op, {}, with_bi=False)
    expect_error(lambda: s.run(None, {"X": X, "rois": R4}), op, "input 'batch_indices' [K] is required")


@pytest.mark.parametrize("op", OPS)
def test_rois5_with_batch_indices(op):
    s = session(op, {})
    r5 = np.concatenate([BI[:, None], R4], 1).astype(np.float32)
    expect_error(lambda: s.run(None, {"X": X, "rois": r5, "bi": BI}), op, "'batch_indices' must be omitted")


@pytest.mark.parametrize("op", OPS)
def test_mismatched_k(op):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": X, "rois": R4, "bi": np.array([0, 1, 1], np.int64)}),
                 op, "input 'batch_indices' has 3 entries but input 'rois' has 2 rows")
    expect_error(lambda: s.run(None, {"X": X, "rois": R4, "bi": np.zeros((2, 1), np.int64)}),
                 op, "input 'batch_indices' must be 1-D [K]")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("b", [-1, 2, 1 << 40])
def test_batch_index_out_of_range(op, b):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": X, "rois": R4, "bi": np.array([0, b], np.int64)}),
                 op, "input 'batch_indices'[1]", "is outside [0, N) with N = 2")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("b,needle", [(0.5, "is not an integer"), (np.nan, "is not an integer"),
                                      (np.inf, "is not an integer"), (-1.0, "is outside [0, N)"),
                                      (2.0, "is outside [0, N)")])
def test_batch_index_in_rois_column(op, b, needle):
    s = session(op, {}, with_bi=False)
    r5 = np.array([[0, 0, 0, 4, 4], [b, 1, 1, 5, 5]], np.float32)
    expect_error(lambda: s.run(None, {"X": X, "rois": r5}), op, "input 'rois'[1,0] (batch index)", needle)


@pytest.mark.parametrize("op", OPS)
def test_batch_index_with_empty_batch(op):
    s = session(op, {})
    expect_error(lambda: s.run(None, {"X": np.zeros((0, 3, 8, 8), np.float32), "rois": R4, "bi": BI}),
                 op, "is outside [0, N) with N = 0")


@pytest.mark.parametrize("op", OPS)
def test_type_mismatch_between_x_and_rois(op):
    s = session(op, {}, x_type=F, rois_type=TensorProto.DOUBLE)
    expect_error(lambda: s.run(None, {"X": X, "rois": R4.astype(np.float64), "bi": BI}), op,
                 "input 'rois' must have the element type of input 'X' (tensor(float)); got tensor(double)")


@pytest.mark.parametrize("op", OPS)
def test_unsupported_type(op):
    expect_error(lambda: session(op, {}, x_type=TensorProto.INT32, rois_type=TensorProto.INT32), op)


# PSRoIAlign / PSRoIPool are left out: their output has K * C elements at most, so it cannot
# outgrow the limit unless X or rois already hold that much.
@pytest.mark.parametrize("op", ["RoIAlign", "RoIPool"])
def test_output_too_large(op):
    s = session(op, {"output_height": 65536, "output_width": 65536})
    big_c = np.zeros((1, 4096, 1, 1), np.float32)
    rois = np.zeros((100, 4), np.float32)
    expect_error(lambda: s.run(None, {"X": big_c, "rois": rois, "bi": np.zeros(100, np.int64)}),
                 op, "output 'Y' of shape [100,4096,65536,65536] would need", "over the limit")


@pytest.mark.parametrize("op", ["PSRoIAlign", "PSRoIPool"])
def test_ps_channels_not_divisible(op):
    s = session(op, {"output_height": 2, "output_width": 3})
    expect_error(lambda: s.run(None, {"X": X8, "rois": np.zeros((1, 4), np.float32), "bi": np.zeros(1, np.int64)}),
                 op, "input 'X' has C = 8 channels, which is not a multiple of output_height * output_width = 6")


@pytest.mark.parametrize("rois_shape,with_bi,needle", [
    ((2, 4), True, "input 'rois' must be 2-D [K,5] (with batch_indices) or [K,6] (batch index first)"),
    ((2, 7), False, "input 'rois' must be 2-D [K,5] (with batch_indices) or [K,6] (batch index first)"),
    ((2, 5), False, "input 'batch_indices' [K] is required"),
    ((2, 6), True, "'batch_indices' must be omitted"),
])
def test_rotated_rois_layouts(rois_shape, with_bi, needle):
    s = session("RoIAlignRotated", {}, with_bi=with_bi)
    feeds = {"X": X8, "rois": np.zeros(rois_shape, np.float32)}
    if with_bi:
        feeds["bi"] = np.zeros(rois_shape[0], np.int64)
    expect_error(lambda: s.run(None, feeds), "RoIAlignRotated", needle)


def test_rotated_batch_index_column():
    s = session("RoIAlignRotated", {}, with_bi=False)
    rois = np.array([[0.5, 1, 1, 2, 2, 0]], np.float32)
    expect_error(lambda: s.run(None, {"X": X8, "rois": rois}), "RoIAlignRotated", "input 'rois'[0,0] (batch index)",
                 "is not an integer")


# --- MultiScaleRoIAlign ------------------------------------------------------------------------

MAPS = {"X_0": np.zeros((2, 4, 16, 16), np.float32), "X_1": np.zeros((2, 4, 8, 8), np.float32)}
ROIS = np.array([[0, 0, 10, 10]], np.float32)
BI1 = np.zeros(1, np.int64)


def test_multi_scale_map_count_must_match_scales():
    s = multi_scale_session({"spatial_scales": [0.25, 0.125, 0.0625]})
    expect_error(lambda: s.run(None, {"rois": ROIS, "bi": BI1, **MAPS}), "MultiScaleRoIAlign",
                 "attribute 'spatial_scales' has 3 entries but 2 feature maps")


@pytest.mark.parametrize("x1_shape,needle", [
    ((2, 5, 8, 8), "input 'X_1' has shape [2,5,8,8] but input 'X_0' has N = 2 and C = 4"),
    ((1, 4, 8, 8), "input 'X_1' has shape [1,4,8,8] but input 'X_0' has N = 2 and C = 4"),
    ((4, 8, 8), "input 'X_1' must be 4-D [N,C,H,W]; got shape [4,8,8]"),
])
def test_multi_scale_maps_must_agree(x1_shape, needle):
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]})
    feeds = {"rois": ROIS, "bi": BI1, "X_0": MAPS["X_0"], "X_1": np.zeros(x1_shape, np.float32)}
    expect_error(lambda: s.run(None, feeds), "MultiScaleRoIAlign", needle)


def test_multi_scale_rois_checks():
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]})
    expect_error(lambda: s.run(None, {"rois": ROIS, "bi": np.array([2], np.int64), **MAPS}), "MultiScaleRoIAlign",
                 "input 'batch_indices'[0] = 2 is outside [0, N) with N = 2 (from input 'X_0')")
    expect_error(lambda: s.run(None, {"rois": np.zeros((1, 3), np.float32), "bi": BI1, **MAPS}),
                 "MultiScaleRoIAlign", "input 'rois' must be 2-D [K,4]")
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]}, with_bi=False)
    expect_error(lambda: s.run(None, {"rois": np.array([[0.5, 0, 0, 4, 4]], np.float32), **MAPS}),
                 "MultiScaleRoIAlign", "input 'rois'[0,0] (batch index) = 0.5 is not an integer")
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]}, rois_type=TensorProto.DOUBLE)
    expect_error(lambda: s.run(None, {"rois": ROIS.astype(np.float64), "bi": BI1, **MAPS}), "MultiScaleRoIAlign",
                 "input 'rois' must have the element type of input 'X_0' (tensor(float)); got tensor(double)")


# --- CropAndResize -----------------------------------------------------------------------------

CROP = {"crop_height": 3, "crop_width": 3}
BOXES = np.array([[0, 0, 1, 1], [0.2, 0.2, 0.8, 0.9]], np.float32)


@pytest.mark.parametrize("feeds,needle", [
    ({"X": X[0], "boxes": BOXES, "box_indices": np.zeros(2, np.int64)}, "input 'X' must be 4-D [N,C,H,W]"),
    ({"X": X, "boxes": BOXES[:, :3], "box_indices": np.zeros(2, np.int64)}, "input 'boxes' must be 2-D [K,4]"),
    ({"X": X, "boxes": BOXES, "box_indices": np.zeros(3, np.int64)},
     "input 'box_indices' has 3 entries but input 'boxes' has 2 rows"),
    ({"X": X, "boxes": BOXES, "box_indices": np.zeros((2, 1), np.int64)}, "input 'box_indices' must be 1-D [K]"),
    ({"X": X, "boxes": BOXES, "box_indices": np.array([0, 2], np.int64)},
     "input 'box_indices'[1] = 2 is outside [0, N) with N = 2"),
    ({"X": X, "boxes": BOXES, "box_indices": np.array([-1, 0], np.int64)},
     "input 'box_indices'[0] = -1 is outside [0, N) with N = 2"),
])
def test_bad_crop_inputs(feeds, needle):
    s = crop_session(CROP)
    expect_error(lambda: s.run(None, feeds), "CropAndResize", needle)


def test_crop_index_and_box_types():
    s = crop_session(CROP, index_type=TensorProto.FLOAT)
    expect_error(lambda: s.run(None, {"X": X, "boxes": BOXES, "box_indices": np.zeros(2, np.float32)}),
                 "CropAndResize", "input 'box_indices' must be tensor(int32) or tensor(int64); got tensor(float)")
    s = crop_session(CROP, index_type=TensorProto.INT32)
    expect_error(lambda: s.run(None, {"X": X, "boxes": BOXES, "box_indices": np.array([0, 7], np.int32)}),
                 "CropAndResize", "input 'box_indices'[1] = 7 is outside [0, N)")
    s = crop_session(CROP, boxes_type=TensorProto.DOUBLE)
    expect_error(lambda: s.run(None, {"X": X, "boxes": BOXES.astype(np.float64), "box_indices": np.zeros(2, np.int64)}),
                 "CropAndResize", "input 'boxes' must have the element type of input 'X' (tensor(float)); got "
                 "tensor(double)")


def test_crop_output_too_large():
    s = crop_session({"crop_height": 65536, "crop_width": 65536})
    boxes = np.zeros((100, 4), np.float32)
    expect_error(lambda: s.run(None, {"X": np.zeros((1, 4096, 1, 1), np.float32), "boxes": boxes,
                                      "box_indices": np.zeros(100, np.int64)}),
                 "CropAndResize", "output 'Y' of shape [100,4096,65536,65536] would need", "over the limit")
