"""The standard ONNX RoI ops in roi_ops attributes: ``RoiAlign`` as ``RoIAlign`` (both ways),
``MaxRoiPool`` as ``RoIPool``. The one reading of their attributes, defaults and opset rules, for
the converter, the pooler fusion, the standard-op forms and the evaluator."""
from __future__ import annotations

import onnx

from .graph import attribute_values

# RoiAlign's coordinate modes, by roi_ops' aligned.
COORDINATES = {0: "output_half_pixel", 1: "half_pixel"}


def roi_align_from_standard(node: onnx.NodeProto, opset: int, *, fix_onnx_max: bool = False) -> dict:
    """roi_ops RoIAlign's attributes for a standard ``RoiAlign`` of a model importing `opset`.
    Its ``max`` is what onnxruntime computes (the largest weighted corner): roi_ops' ``onnx_max``,
    or with `fix_onnx_max` the true ``max``, which changes the numbers. Raises ValueError for a
    mode or coordinate mode the standard does not define."""
    a = attribute_values(node)
    mode = a.get("mode", "avg")
    if mode not in ("avg", "max"):
        raise ValueError(f"mode {mode!r} is neither avg nor max")
    # Opset 10 has no coordinate mode and means output_half_pixel (as onnxruntime runs it);
    # from opset 16 the default is half_pixel.
    coordinates = a.get("coordinate_transformation_mode", "half_pixel") if opset >= 16 else COORDINATES[0]
    if coordinates not in COORDINATES.values():
        raise ValueError(f"unknown coordinate_transformation_mode {coordinates!r}")
    return dict(output_height=int(a.get("output_height", 1)), output_width=int(a.get("output_width", 1)),
                spatial_scale=float(a.get("spatial_scale", 1.0)), sampling_ratio=int(a.get("sampling_ratio", 0)),
                mode=("max" if fix_onnx_max else "onnx_max") if mode == "max" else mode,
                aligned=int(coordinates == COORDINATES[1]))


def roi_align_to_standard(attrs: dict, opset: int) -> dict:
    """A standard ``RoiAlign``'s attributes computing roi_ops RoIAlign with `attrs` (every one
    given, mode avg or onnx_max: roi_ops' max has no standard form) in a model importing `opset`:
    below 16 RoiAlign has no coordinate mode, and means output_half_pixel."""
    coordinates = {"coordinate_transformation_mode": COORDINATES[int(attrs["aligned"])]} if opset >= 16 else {}
    return dict(mode="max" if attrs["mode"] == "onnx_max" else "avg", output_height=int(attrs["output_height"]),
                output_width=int(attrs["output_width"]), sampling_ratio=int(attrs["sampling_ratio"]),
                spatial_scale=float(attrs["spatial_scale"]), **coordinates)


def roi_pool_from_standard(node: onnx.NodeProto) -> dict:
    """roi_ops RoIPool's attributes for a standard ``MaxRoiPool``: the same op. Raises ValueError
    where pooled_shape, which the standard requires, is missing or not two values."""
    a = attribute_values(node)
    if "pooled_shape" not in a:
        raise ValueError("MaxRoiPool needs the attribute pooled_shape")
    if len(a["pooled_shape"]) != 2:
        raise ValueError(f"pooled_shape must hold 2 values (height, width); got {list(a['pooled_shape'])}")
    oh, ow = (int(v) for v in a["pooled_shape"])
    return dict(output_height=oh, output_width=ow, spatial_scale=float(a.get("spatial_scale", 1.0)))
