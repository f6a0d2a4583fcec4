"""Bad input for the ops beyond RoIAlign / RoIPool (the shared checks are in test_bad_inputs.py):
each case ends in an onnxruntime error that names the op, the input or attribute, and the
problem."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from test_bad_inputs import expect_error, session

import roi_ops
from roi_ops import builders

F = TensorProto.FLOAT
X = np.zeros((2, 8, 8, 8), np.float32)


@pytest.mark.parametrize("op", ["PSRoIAlign", "PSRoIPool"])
def test_ps_channels_not_divisible(op):
    s = session(op, {"output_height": 2, "output_width": 3})
    expect_error(lambda: s.run(None, {"X": X, "rois": np.zeros((1, 4), np.float32), "bi": np.zeros(1, np.int64)}),
                 op, "input 'X' has C = 8 channels, which is not a multiple of output_height * output_width = 6")


@pytest.mark.parametrize("attr,value,needle", [
    ("angle_unit", "gradians", "'angle_unit' must be one of \"degrees\", \"radians\"; got \"gradians\""),
    ("clockwise", 3, "'clockwise' must be 0 or 1; got 3"),
    ("aligned", -1, "'aligned' must be 0 or 1; got -1"),
    ("sampling_ratio", -2, "'sampling_ratio' must be in [0, 1024]"),
])
def test_bad_rotated_attributes(attr, value, needle):
    expect_error(lambda: session("RoIAlignRotated", {attr: value}), "RoIAlignRotated", needle)


@pytest.mark.parametrize("rois_shape,with_bi,needle", [
    ((2, 4), True, "input 'rois' must be 2-D [K,5] (with batch_indices) or [K,6] (batch index first)"),
    ((2, 7), False, "input 'rois' must be 2-D [K,5] (with batch_indices) or [K,6] (batch index first)"),
    ((2, 5), False, "input 'batch_indices' [K] is required"),
    ((2, 6), True, "'batch_indices' must be omitted"),
])
def test_rotated_rois_layouts(rois_shape, with_bi, needle):
    s = session("RoIAlignRotated", {}, with_bi=with_bi)
    feeds = {"X": X, "rois": np.zeros(rois_shape, np.float32)}
    if with_bi:
        feeds["bi"] = np.zeros(rois_shape[0], np.int64)
    expect_error(lambda: s.run(None, feeds), "RoIAlignRotated", needle)


def test_rotated_batch_index_column():
    s = session("RoIAlignRotated", {}, with_bi=False)
    rois = np.array([[0.5, 1, 1, 2, 2, 0]], np.float32)
    expect_error(lambda: s.run(None, {"X": X, "rois": rois}), "RoIAlignRotated", "input 'rois'[0,0] (batch index)",
                 "is not an integer")


# --- MultiScaleRoIAlign ------------------------------------------------------------------------

def multi_scale_session(attrs, maps=2, rois_type=F, with_bi=True):
    names = [f"X_{i}" for i in range(maps)]
    node = helper.make_node("MultiScaleRoIAlign", ["rois", "bi" if with_bi else "", *names], ["Y"], domain="roi_ops",
                            **attrs)
    ins = [helper.make_tensor_value_info("rois", rois_type, None)]
    if with_bi:
        ins.append(helper.make_tensor_value_info("bi", TensorProto.INT64, None))
    ins += [helper.make_tensor_value_info(n, F, None) for n in names]
    model = builders.make_model([node], ins, [helper.make_tensor_value_info("Y", F, None)])
    return roi_ops.make_session(model)


MAPS = {"X_0": np.zeros((2, 4, 16, 16), np.float32), "X_1": np.zeros((2, 4, 8, 8), np.float32)}
ROIS = np.array([[0, 0, 10, 10]], np.float32)
BI = np.zeros(1, np.int64)


@pytest.mark.parametrize("attrs,needle", [
    ({}, "attribute 'spatial_scales' is required"),
    ({"spatial_scales": [0.25, 0.0625]}, "must hold consecutive pyramid levels, finest first"),
    ({"spatial_scales": [0.125, 0.25]}, "must hold consecutive pyramid levels, finest first"),
    ({"spatial_scales": [0.25, -0.125]}, "must hold finite scales > 0"),
    ({"spatial_scales": [1, 2]}, "'spatial_scales' must be a list of floats"),
    ({"spatial_scales": [0.25, 0.125], "canonical_scale": 0.0}, "'canonical_scale' must be finite and > 0"),
    ({"spatial_scales": [0.25, 0.125], "eps": -1.0}, "'eps' must be finite and >= 0"),
    ({"spatial_scales": [0.25, 0.125], "eps_in_log": 2}, "'eps_in_log' must be 0 or 1"),
    ({"spatial_scales": [0.25, 0.125], "canonical_level": 1000}, "'canonical_level' must be in [-64, 64]"),
])
def test_bad_multi_scale_attributes(attrs, needle):
    expect_error(lambda: multi_scale_session(attrs), "MultiScaleRoIAlign", needle)


def test_multi_scale_map_count_must_match_scales():
    s = multi_scale_session({"spatial_scales": [0.25, 0.125, 0.0625]})
    expect_error(lambda: s.run(None, {"rois": ROIS, "bi": BI, **MAPS}), "MultiScaleRoIAlign",
                 "attribute 'spatial_scales' has 3 entries but 2 feature maps")


@pytest.mark.parametrize("x1_shape,needle", [
    ((2, 5, 8, 8), "input 'X_1' has shape [2,5,8,8] but input 'X_0' has N = 2 and C = 4"),
    ((1, 4, 8, 8), "input 'X_1' has shape [1,4,8,8] but input 'X_0' has N = 2 and C = 4"),
    ((4, 8, 8), "input 'X_1' must be 4-D [N,C,H,W]; got shape [4,8,8]"),
])
def test_multi_scale_maps_must_agree(x1_shape, needle):
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]})
    feeds = {"rois": ROIS, "bi": BI, "X_0": MAPS["X_0"], "X_1": np.zeros(x1_shape, np.float32)}
    expect_error(lambda: s.run(None, feeds), "MultiScaleRoIAlign", needle)


def test_multi_scale_rois_checks():
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]})
    expect_error(lambda: s.run(None, {"rois": ROIS, "bi": np.array([2], np.int64), **MAPS}), "MultiScaleRoIAlign",
                 "input 'batch_indices'[0] = 2 is outside [0, N) with N = 2 (from input 'X_0')")
    expect_error(lambda: s.run(None, {"rois": np.zeros((1, 3), np.float32), "bi": BI, **MAPS}),
                 "MultiScaleRoIAlign", "input 'rois' must be 2-D [K,4]")
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]}, with_bi=False)
    expect_error(lambda: s.run(None, {"rois": np.array([[0.5, 0, 0, 4, 4]], np.float32), **MAPS}),
                 "MultiScaleRoIAlign", "input 'rois'[0,0] (batch index) = 0.5 is not an integer")
    s = multi_scale_session({"spatial_scales": [0.25, 0.125]}, rois_type=TensorProto.DOUBLE)
    expect_error(lambda: s.run(None, {"rois": ROIS.astype(np.float64), "bi": BI, **MAPS}), "MultiScaleRoIAlign",
                 "input 'rois' must have the element type of input 'X' (tensor(float)); got tensor(double)")


# --- CropAndResize -----------------------------------------------------------------------------

def crop_session(attrs, boxes_type=F, index_type=TensorProto.INT64):
    node = helper.make_node("CropAndResize", ["X", "boxes", "box_indices"], ["Y"], domain="roi_ops", **attrs)
    ins = [helper.make_tensor_value_info("X", F, None), helper.make_tensor_value_info("boxes", boxes_type, None),
           helper.make_tensor_value_info("box_indices", index_type, None)]
    model = builders.make_model([node], ins, [helper.make_tensor_value_info("Y", F, None)])
    return roi_ops.make_session(model)


CROP = {"crop_height": 3, "crop_width": 3}
BOXES = np.array([[0, 0, 1, 1], [0.2, 0.2, 0.8, 0.9]], np.float32)


@pytest.mark.parametrize("attrs,needle", [
    ({"crop_width": 3}, "attribute 'crop_height' is required"),
    ({"crop_height": 3}, "attribute 'crop_width' is required"),
    ({"crop_height": 0, "crop_width": 3}, "'crop_height' must be in [1, 65536]; got 0"),
    ({**CROP, "method": "bicubic"}, "'method' must be one of \"bilinear\", \"nearest\"; got \"bicubic\""),
    ({**CROP, "extrapolation_value": "zero"}, "'extrapolation_value' must be a float"),
])
def test_bad_crop_attributes(attrs, needle):
    expect_error(lambda: crop_session(attrs), "CropAndResize", needle)


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
