"""Models built only from standard ONNX ops that compute what a roi_ops node computes, the way
exporters unroll it. They are the baselines of the tests and benchmarks (and run on any
onnxruntime without the plugin).

``multi_scale_roi_align_model`` follows torchvision's exported ``MultiScaleRoIAlign``: level
assignment from box areas, then per level: select the RoIs (NonZero, Gather), ``RoiAlign``,
scatter back into the output (ScatterND).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_DTYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


def _const(name: str, value, dtype) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value, dtype), name))


def multi_scale_roi_align_model(
    spatial_scales: Sequence[float],
    *,
    output_height: int = 1,
    output_width: int = 1,
    sampling_ratio: int = 0,
    aligned: int = 0,
    canonical_scale: float = 224.0,
    canonical_level: int = 4,
    eps: float = 1e-6,
    eps_in_log: int = 0,
    dtype=np.float32,
) -> onnx.ModelProto:
    """Inputs ``rois [K,4]``, ``batch_indices [K]`` (int64), ``X_0 ... X_{L-1}``; output ``Y``.
    Same numbers as ``roi_ops.MultiScaleRoIAlign`` with the same attributes (standard opset 16)."""
    dt = np.dtype(dtype)
    t = _DTYPES[dt]
    L = len(spatial_scales)
    k_min = round(-math.log2(spatial_scales[0]))
    k_max = round(-math.log2(spatial_scales[-1]))
    n = [
        _const("split_sizes", [1, 1, 1, 1], np.int64),
        helper.make_node("Split", ["rois", "split_sizes"], ["x1", "y1", "x2", "y2"], axis=1),
        helper.make_node("Sub", ["x2", "x1"], ["bw"]),
        helper.make_node("Sub", ["y2", "y1"], ["bh"]),
        helper.make_node("Mul", ["bw", "bh"], ["area"]),
        _const("zero", 0, dt),
        helper.make_node("Greater", ["area", "zero"], ["positive"]),
        _const("one", 1, dt),
        helper.make_node("Where", ["positive", "area", "one"], ["safe_area"]),
        helper.make_node("Sqrt", ["safe_area"], ["size"]),
        _const("s0", canonical_scale, dt),
        helper.make_node("Div", ["size", "s0"], ["ratio"]),
        _const("eps", eps, dt),
        _const("ln2", math.log(2.0), dt),
        _const("lvl0", canonical_level, dt),
    ]
    if eps_in_log:
        n += [helper.make_node("Add", ["ratio", "eps"], ["ratio_eps"]),
              helper.make_node("Log", ["ratio_eps"], ["ln"]),
              helper.make_node("Div", ["ln", "ln2"], ["log2"]),
              helper.make_node("Add", ["lvl0", "log2"], ["k_real"])]
    else:
        n += [helper.make_node("Log", ["ratio"], ["ln"]),
              helper.make_node("Div", ["ln", "ln2"], ["log2"]),
              helper.make_node("Add", ["lvl0", "log2"], ["k_no_eps"]),
              helper.make_node("Add", ["k_no_eps", "eps"], ["k_real"])]
    n += [
        helper.make_node("Floor", ["k_real"], ["k_floor"]),
        _const("k_min", k_min, dt),
        _const("k_max", k_max, dt),
        helper.make_node("Clip", ["k_floor", "k_min", "k_max"], ["k_clip"]),
        helper.make_node("Where", ["positive", "k_clip", "k_min"], ["k"]),
        helper.make_node("Sub", ["k", "k_min"], ["level_real"]),
        helper.make_node("Cast", ["level_real"], ["level_2d"], to=TensorProto.INT64),
        _const("flat", [-1], np.int64),
        helper.make_node("Reshape", ["level_2d", "flat"], ["level"]),
        # Y = zeros [K, C, oh, ow]
        helper.make_node("Shape", ["rois"], ["rois_shape"], start=0, end=1),
        helper.make_node("Shape", ["X_0"], ["c_shape"], start=1, end=2),
        _const("out_hw", [output_height, output_width], np.int64),
        helper.make_node("Concat", ["rois_shape", "c_shape", "out_hw"], ["y_shape"], axis=0),
        helper.make_node("ConstantOfShape", ["y_shape"], ["y_0"],
                         value=numpy_helper.from_array(np.zeros(1, dt))),
    ]
    mode = "half_pixel" if aligned else "output_half_pixel"
    for lvl in range(L):
        p = f"l{lvl}_"
        n += [
            _const(p + "id", lvl, np.int64),
            helper.make_node("Equal", ["level", p + "id"], [p + "mask"]),
            helper.make_node("NonZero", [p + "mask"], [p + "nz"]),  # [1, n]
            helper.make_node("Reshape", [p + "nz", "flat"], [p + "idx"]),
            helper.make_node("Transpose", [p + "nz"], [p + "idx_nd"], perm=[1, 0]),  # [n, 1]
            helper.make_node("Gather", ["rois", p + "idx"], [p + "rois"], axis=0),
            helper.make_node("Gather", ["batch_indices", p + "idx"], [p + "bi"], axis=0),
            helper.make_node("RoiAlign", [f"X_{lvl}", p + "rois", p + "bi"], [p + "y"], mode="avg",
                             output_height=output_height, output_width=output_width,
                             sampling_ratio=sampling_ratio, spatial_scale=float(spatial_scales[lvl]),
                             coordinate_transformation_mode=mode),
            helper.make_node("ScatterND", [f"y_{lvl}", p + "idx_nd", p + "y"], [f"y_{lvl + 1}" if lvl + 1 < L else "Y"]),
        ]
    inputs = [helper.make_tensor_value_info("rois", t, ["K", 4]),
              helper.make_tensor_value_info("batch_indices", TensorProto.INT64, ["K"])]
    inputs += [helper.make_tensor_value_info(f"X_{i}", t, ["N", "C", f"H_{i}", f"W_{i}"]) for i in range(L)]
    outputs = [helper.make_tensor_value_info("Y", t, ["K", "C", output_height, output_width])]
    graph = helper.make_graph(n, "multi_scale_roi_align_standard", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=10)
    onnx.checker.check_model(model, full_check=True)
    return model


def ps_roi_align_model(
    channels: int,
    *,
    output_height: int = 1,
    output_width: int = 1,
    spatial_scale: float = 1.0,
    sampling_ratio: int = 0,
    dtype=np.float32,
) -> onnx.ModelProto:
    """Inputs ``X [N, channels, H, W]``, ``rois [K,4]``, ``batch_indices [K]``; output ``Y``. Same
    numbers as ``roi_ops.PSRoIAlign``: ``RoiAlign`` (half_pixel) of every channel at every bin,
    then a Gather that keeps channel (c*oh + ph)*ow + pw at bin (ph, pw)."""
    t = _DTYPES[np.dtype(dtype)]
    bins = output_height * output_width
    if channels % bins:
        raise ValueError(f"channels = {channels} is not a multiple of output_height * output_width = {bins}")
    co = channels // bins
    nodes = [
        helper.make_node("RoiAlign", ["X", "rois", "batch_indices"], ["all_bins"], mode="avg",
                         output_height=output_height, output_width=output_width, sampling_ratio=sampling_ratio,
                         spatial_scale=float(spatial_scale), coordinate_transformation_mode="half_pixel"),
        _const("by_bin", [0, co, bins * bins], np.int64),
        helper.make_node("Reshape", ["all_bins", "by_bin"], ["grouped"]),  # [K, co, bin_in * bins + bin_out]
        _const("diagonal", [b * bins + b for b in range(bins)], np.int64),
        helper.make_node("Gather", ["grouped", "diagonal"], ["picked"], axis=2),
        _const("out_shape", [0, co, output_height, output_width], np.int64),
        helper.make_node("Reshape", ["picked", "out_shape"], ["Y"]),
    ]
    inputs = [helper.make_tensor_value_info("X", t, ["N", channels, "H", "W"]),
              helper.make_tensor_value_info("rois", t, ["K", 4]),
              helper.make_tensor_value_info("batch_indices", TensorProto.INT64, ["K"])]
    outputs = [helper.make_tensor_value_info("Y", t, ["K", co, output_height, output_width])]
    graph = helper.make_graph(nodes, "ps_roi_align_standard", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=10)
    onnx.checker.check_model(model, full_check=True)
    return model
