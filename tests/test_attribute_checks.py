"""roi_ops.attribute_checks (the builders' and roi_ops.torch's checks) refuses exactly what the
library refuses, with the library's own message: each case is given to both."""
from __future__ import annotations

import re

import pytest
from error_sessions import crop_session, multi_scale_session, session

from roi_ops import builders
from roi_ops.attribute_checks import check_attributes

SCALES = {"spatial_scales": [0.25, 0.125]}
CROP = {"crop_height": 3, "crop_width": 3}
CASES = [
    *[(op, {attr: value}) for op in ("RoIAlign", "RoIPool", "PSRoIAlign", "PSRoIPool", "RoIAlignRotated")
      for attr, value in (("output_height", 0), ("output_width", -3), ("output_height", 1 << 20),
                          ("spatial_scale", 0.0), ("spatial_scale", -0.25), ("spatial_scale", float("inf")),
                          ("spatial_scale", float("nan")), ("spatial_scale", 1e-50))],
    ("RoIAlign", {"sampling_ratio": -1}), ("RoIAlign", {"sampling_ratio": 5000}), ("RoIAlign", {"mode": "maximum"}),
    ("RoIAlign", {"aligned": 2}), ("PSRoIAlign", {"sampling_ratio": -1}),
    ("RoIAlignRotated", {"angle_unit": "gradians"}), ("RoIAlignRotated", {"clockwise": 3}),
    ("RoIAlignRotated", {"aligned": -1}),
    ("MultiScaleRoIAlign", {}), ("MultiScaleRoIAlign", {"spatial_scales": [0.25, 0.25]}),
    ("MultiScaleRoIAlign", {**SCALES, "mode": "maximum"}), ("MultiScaleRoIAlign", {**SCALES, "roi_scale_factor": 0.0}),
    ("MultiScaleRoIAlignRotated", {}), ("MultiScaleRoIAlignRotated", {"spatial_scales": [0.125, 0.25]}),
    ("MultiScaleRoIAlignRotated", {**SCALES, "angle_unit": "turns"}),
    ("MultiScaleRoIAlignRotated", {**SCALES, "roi_scale_factor": -2.0}),
    ("MultiScaleRoIAlign", {"spatial_scales": [0.125, 0.25]}), ("MultiScaleRoIAlign", {"spatial_scales": [0.25, -0.125]}),
    ("MultiScaleRoIAlign", {"spatial_scales": [2.0 ** -i for i in range(9)]}),
    ("MultiScaleRoIAlign", {**SCALES, "canonical_scale": 0.0}), ("MultiScaleRoIAlign", {**SCALES, "eps": -1.0}),
    ("MultiScaleRoIAlign", {**SCALES, "eps_in_log": 2}), ("MultiScaleRoIAlign", {**SCALES, "canonical_level": 1000}),
    ("MultiScaleRoIAlign", {**SCALES, "sampling_ratio": -2}),
    ("CropAndResize", {"crop_width": 3}), ("CropAndResize", {"crop_height": 3}),
    ("CropAndResize", {"crop_height": 0, "crop_width": 3}), ("CropAndResize", {**CROP, "method": "bicubic"}),
]


def _library_message(op, attrs) -> str:
    make = {"MultiScaleRoIAlign": lambda: multi_scale_session(attrs),
            "MultiScaleRoIAlignRotated": lambda: multi_scale_session(attrs, maps=len(attrs.get("spatial_scales", [1])),
                                                                     op=op),
            "CropAndResize": lambda: crop_session(attrs)}.get(op, lambda: session(op, attrs))
    with pytest.raises(Exception) as info:
        make()
    found = re.search(rf"{op}: attribute .*", str(info.value))
    assert found, str(info.value)
    return found.group(0).strip()


@pytest.mark.parametrize("op,attrs", CASES, ids=lambda c: str(c))
def test_python_refuses_with_the_library_message(op, attrs):
    want = _library_message(op, attrs)
    with pytest.raises(ValueError) as info:
        check_attributes(op, **attrs)
    assert str(info.value) == want


@pytest.mark.parametrize("op,attrs,prefix", [
    ("RoIAlign", {"output_height": 2.5}, "RoIAlign: attribute 'output_height' must be an int"),
    ("RoIAlign", {"mode": 1}, "RoIAlign: attribute 'mode' must be a string"),
    ("MultiScaleRoIAlign", {"spatial_scales": "0.25"}, "MultiScaleRoIAlign: attribute 'spatial_scales' must be a list"),
])
def test_wrong_types_name_the_type_the_library_names(op, attrs, prefix):
    assert _library_message(op, attrs).startswith(prefix)
    with pytest.raises(ValueError, match=re.escape(prefix)):
        check_attributes(op, **attrs)


def test_values_come_back_as_the_node_stores_them():
    out = check_attributes("RoIAlign", output_height=7, spatial_scale=0.1, aligned=True)
    assert out["aligned"] == 1 and type(out["aligned"]) is int and out["spatial_scale"] == pytest.approx(0.1)
    assert out["spatial_scale"] != 0.1  # the float32 value ONNX stores
    with pytest.raises(ValueError, match="RoIPool: unknown attribute 'sampling_ratio'"):
        check_attributes("RoIPool", sampling_ratio=2)
    node = builders.make_roi_align_node("X", "rois", None, "Y", aligned=True)
    assert [a.i for a in node.attribute if a.name == "aligned"] == [1]
