"""Every bad attribute of every op ends in an onnxruntime error, when the session is made, whose
message names the op, the attribute, what it must be and what it got (docs/spec.md, "Common
rules"); never a crash."""
from __future__ import annotations

import pytest
from error_sessions import crop_session, expect_error, multi_scale_session, session

OPS = ["RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool"]
CROP = {"crop_height": 3, "crop_width": 3}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("attr,value,needle", [
    ("output_height", 0, "'output_height' must be in [1, 65536]; got 0"),
    ("output_width", -3, "'output_width' must be in [1, 65536]; got -3"),
    ("output_height", 1 << 20, "'output_height' must be in [1, 65536]"),
    ("spatial_scale", 0.0, "'spatial_scale' must be finite and > 0; got 0"),
    ("spatial_scale", -0.25, "'spatial_scale' must be finite and > 0; got -0.25"),
    ("spatial_scale", float("inf"), "'spatial_scale' must be finite and > 0; got inf"),
    ("spatial_scale", float("nan"), "'spatial_scale' must be finite and > 0; got nan"),
    ("output_height", 2.5, "'output_height' must be an int"),
])
def test_bad_common_attributes(op, attr, value, needle):
    expect_error(lambda: session(op, {attr: value}), op, needle)


@pytest.mark.parametrize("attr,value,needle", [
    ("sampling_ratio", -1, "'sampling_ratio' must be in [0, 1024] (0 = adaptive); got -1"),
    ("sampling_ratio", 5000, "'sampling_ratio' must be in [0, 1024]"),
    ("mode", "maximum", "'mode' must be \"avg\", \"max\" or \"onnx_max\"; got \"maximum\""),
    ("mode", 1, "'mode' must be a string"),
    ("aligned", 2, "'aligned' must be 0 or 1; got 2"),
])
def test_bad_roi_align_attributes(attr, value, needle):
    expect_error(lambda: session("RoIAlign", {attr: value}), "RoIAlign", needle)


@pytest.mark.parametrize("attr,value,needle", [
    ("angle_unit", "gradians", "'angle_unit' must be one of \"degrees\", \"radians\"; got \"gradians\""),
    ("clockwise", 3, "'clockwise' must be 0 or 1; got 3"),
    ("aligned", -1, "'aligned' must be 0 or 1; got -1"),
    ("sampling_ratio", -2, "'sampling_ratio' must be in [0, 1024]"),
])
def test_bad_rotated_attributes(attr, value, needle):
    expect_error(lambda: session("RoIAlignRotated", {attr: value}), "RoIAlignRotated", needle)


@pytest.mark.parametrize("attrs,needle", [
    ({}, "attribute 'spatial_scales' is required"),
    ({"spatial_scales": [0.25, 0.25]}, "must list pyramid levels finest first, each coarser than the one before"),
    ({"spatial_scales": [0.125, 0.25]}, "must list pyramid levels finest first, each coarser than the one before"),
    ({"spatial_scales": [0.25, 0.125], "mode": "maximum"}, "'mode' must be \"avg\", \"max\" or \"onnx_max\""),
    ({"spatial_scales": [0.25, 0.125], "roi_scale_factor": 0.0}, "'roi_scale_factor' must be finite and > 0"),
    ({"spatial_scales": [0.25, -0.125]}, "must hold finite scales > 0"),
    ({"spatial_scales": [1, 2]}, "'spatial_scales' must be a list of floats"),
    ({"spatial_scales": [0.25, 0.125], "canonical_scale": 0.0}, "'canonical_scale' must be finite and > 0"),
    ({"spatial_scales": [0.25, 0.125], "eps": -1.0}, "'eps' must be finite and >= 0"),
    ({"spatial_scales": [0.25, 0.125], "eps_in_log": 2}, "'eps_in_log' must be 0 or 1"),
    ({"spatial_scales": [0.25, 0.125], "canonical_level": 1000}, "'canonical_level' must be in [-64, 64]"),
])
def test_bad_multi_scale_attributes(attrs, needle):
    expect_error(lambda: multi_scale_session(attrs), "MultiScaleRoIAlign", needle)


@pytest.mark.parametrize("attrs,needle", [
    ({}, "attribute 'spatial_scales' is required"),
    ({"spatial_scales": [0.125, 0.25]}, "must list pyramid levels finest first"),
    ({"spatial_scales": [0.25], "angle_unit": "gradians"}, "'angle_unit' must be one of \"degrees\", \"radians\""),
    ({"spatial_scales": [0.25], "clockwise": 2}, "'clockwise' must be 0 or 1"),
    ({"spatial_scales": [0.25], "roi_scale_factor": float("nan")}, "'roi_scale_factor' must be finite and > 0"),
])
def test_bad_multi_scale_rotated_attributes(attrs, needle):
    op = "MultiScaleRoIAlignRotated"
    expect_error(lambda: multi_scale_session(attrs, maps=1, op=op), op, needle)


@pytest.mark.parametrize("attrs,needle", [
    ({"crop_width": 3}, "attribute 'crop_height' is required"),
    ({"crop_height": 3}, "attribute 'crop_width' is required"),
    ({"crop_height": 0, "crop_width": 3}, "'crop_height' must be in [1, 65536]; got 0"),
    ({**CROP, "method": "bicubic"}, "'method' must be one of \"bilinear\", \"nearest\"; got \"bicubic\""),
    ({**CROP, "extrapolation_value": "zero"}, "'extrapolation_value' must be a float"),
])
def test_bad_crop_attributes(attrs, needle):
    expect_error(lambda: crop_session(attrs), "CropAndResize", needle)
