"""Graphs of standard ONNX ops that compute what a roi_ops node computes, the way exporters
unroll it. They are the baselines of the tests and benchmarks, the targets of
``roi_ops.convert.to_standard``, and run on any onnxruntime without the plugin.

``multi_scale_roi_align_nodes`` follows torchvision's exported ``MultiScaleRoIAlign``: level
assignment from box areas, then per level: select the RoIs (NonZero, Gather), ``RoiAlign``,
scatter back into the output (ScatterND). Constants are cast to the RoIs' type with CastLike,
so the nodes serve any float type (standard opset 16 or later).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .attributes import DEFAULTS, defaults
from .standard_attributes import roi_align_to_standard

_DTYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


class NodeEmitter:
    """Appends nodes whose intermediate names carry a prefix (unique per converted node)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.nodes: list[onnx.NodeProto] = []

    def name(self, s: str) -> str:
        return f"{self.prefix}{s}"

    def op(self, op_type: str, inputs: Sequence[str], output: str | None = None, **attrs) -> str:
        out = output or self.name(f"{op_type.lower()}_{len(self.nodes)}")
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=self.name(f"n{len(self.nodes)}"),
                                           **attrs))
        return out

    def const(self, value, dtype) -> str:
        out = self.name(f"c{len(self.nodes)}")
        self.nodes.append(helper.make_node("Constant", [], [out], name=self.name(f"n{len(self.nodes)}"),
                                           value=numpy_helper.from_array(np.asarray(value, dtype), out)))
        return out

    def real(self, value: float, like: str) -> str:
        """A float constant in the element type of tensor `like`."""
        return self.op("CastLike", [self.const(value, np.float32), like])


def split_batch_column(e: NodeEmitter, rois: str) -> tuple[str, str]:
    """rois [K,1+B] (batch index first) -> (boxes [K,B], batch_indices [K] int64)."""
    first = e.op("Gather", [rois, e.const(0, np.int64)], axis=1)
    batch = e.op("Cast", [first], to=TensorProto.INT64)
    boxes = e.op("Slice", [rois, e.const([1], np.int64), e.const([2**62], np.int64), e.const([1], np.int64)])
    return boxes, batch


def multi_scale_roi_align_nodes(rois: str, batch_indices: str, maps: Sequence[str], output: str, *, prefix: str,
                                **attributes) -> list[onnx.NodeProto]:
    """Nodes computing MultiScaleRoIAlign(rois [K,4], batch_indices, *maps) into `output`;
    ``attributes`` are the op's (``spatial_scales`` required, the rest default as the op's).
    ``mode="max"`` has no standard form (ONNX RoiAlign's max is ``onnx_max``): ValueError. A RoI
    whose level has no map (skipped levels) keeps the zeros the output starts from."""
    a = {**defaults("MultiScaleRoIAlign"), **attributes}
    a["mode"] = a["mode"].decode() if isinstance(a["mode"], bytes) else a["mode"]
    if a["mode"] == "max":
        raise ValueError("MultiScaleRoIAlign mode 'max' (the max of bilinear samples) has no standard-op form; "
                         "ONNX RoiAlign's max computes 'onnx_max'")
    e = NodeEmitter(prefix)
    x1, y1, x2, y2 = (e.name(s) for s in ("x1", "y1", "x2", "y2"))
    e.nodes.append(helper.make_node("Split", [rois, e.const([1, 1, 1, 1], np.int64)], [x1, y1, x2, y2], axis=1,
                                    name=e.name("split")))
    pooled = rescaled_boxes(e, rois, (x1, y1, x2, y2), a["roi_scale_factor"])

    def pool(x, level_rois, level_bi, scale):
        return e.op("RoiAlign", [x, level_rois, level_bi], **roi_align_to_standard({**a, "spatial_scale": scale}, 16))

    area = e.op("Mul", [e.op("Sub", [x2, x1]), e.op("Sub", [y2, y1])])
    per_level_nodes(e, area, rois, pooled, batch_indices, maps, output, pool, a)
    return e.nodes


def rescaled_boxes(e: NodeEmitter, boxes: str, corners: tuple[str, str, str, str], factor: float) -> str:
    """``boxes`` [K,4] (columns ``corners``) scaled by ``factor`` about their centres, after the
    level is chosen (docs/spec.md, roi_scale_factor); ``boxes`` itself when factor is 1."""
    if factor == 1.0:
        return boxes
    x1, y1, x2, y2 = corners
    half, f = e.real(0.5, boxes), e.real(factor, boxes)
    cx, cy = (e.op("Mul", [e.op("Add", [lo, hi]), half]) for lo, hi in ((x1, x2), (y1, y2)))
    hw, hh = (e.op("Mul", [e.op("Mul", [e.op("Sub", [hi, lo]), f]), half]) for lo, hi in ((x1, x2), (y1, y2)))
    return e.op("Concat", [e.op("Sub", [cx, hw]), e.op("Sub", [cy, hh]), e.op("Add", [cx, hw]),
                           e.op("Add", [cy, hh])], axis=1)


def per_level_nodes(e: NodeEmitter, area: str, rois: str, pooled: str, batch_indices: str, maps: Sequence[str],
                    output: str, pool, a: dict) -> None:
    """The exporters' form of an FPN pooler, appended to ``e``: the level of each RoI from its
    ``area`` [K,1] (docs/spec.md, "MultiScaleRoIAlign"), then per map: select its RoIs (NonZero,
    Gather) from ``pooled``, ``pool(map, rois, batch_indices, scale)``, scatter the result into a
    zero output (ScatterND). ``a`` holds the level attributes and output_height/width."""
    spatial_scales = a["spatial_scales"]
    k_min = round(-math.log2(spatial_scales[0]))
    k_max = round(-math.log2(spatial_scales[-1]))
    positive = e.op("Greater", [area, e.real(0.0, rois)])
    size = e.op("Sqrt", [e.op("Where", [positive, area, e.real(1.0, rois)])])
    ratio = e.op("Div", [size, e.real(a["canonical_scale"], rois)])
    ln2, lvl0, eps_c = e.real(math.log(2.0), rois), e.real(a["canonical_level"], rois), e.real(a["eps"], rois)
    if a["eps_in_log"]:
        k_real = e.op("Add", [lvl0, e.op("Div", [e.op("Log", [e.op("Add", [ratio, eps_c])]), ln2])])
    else:
        k_real = e.op("Add", [e.op("Add", [lvl0, e.op("Div", [e.op("Log", [ratio]), ln2])]), eps_c])
    k_min_c, k_max_c = e.real(k_min, rois), e.real(k_max, rois)
    k = e.op("Where", [positive, e.op("Clip", [e.op("Floor", [k_real]), k_min_c, k_max_c]), k_min_c])
    flat = e.const([-1], np.int64)
    level = e.op("Reshape", [e.op("Cast", [e.op("Sub", [k, k_min_c])], to=TensorProto.INT64), flat])
    k_dim = e.op("Shape", [rois], start=0, end=1)
    c_dim = e.op("Shape", [maps[0]], start=1, end=2)
    y_shape = e.op("Concat", [k_dim, c_dim, e.const([a["output_height"], a["output_width"]], np.int64)], axis=0)
    zeros = e.op("CastLike", [e.op("ConstantOfShape", [y_shape]), rois])  # float32 zeros, then rois' type
    for lvl, x in enumerate(maps):
        nz = e.op("NonZero", [e.op("Equal", [level, e.const(lvl, np.int64)])])  # [1, n]
        idx = e.op("Reshape", [nz, flat])
        y = pool(x, e.op("Gather", [pooled, idx], axis=0), e.op("Gather", [batch_indices, idx], axis=0),
                 spatial_scales[lvl])
        last = lvl + 1 == len(maps)
        zeros = e.op("ScatterND", [zeros, e.op("Transpose", [nz], perm=[1, 0]), y], output if last else None)


def ps_roi_align_nodes(x: str, rois: str, batch_indices: str, output: str, *, prefix: str,
                       output_height: int = DEFAULTS.PSRoIAlign.output_height,
                       output_width: int = DEFAULTS.PSRoIAlign.output_width,
                       spatial_scale: float = DEFAULTS.PSRoIAlign.spatial_scale,
                       sampling_ratio: int = DEFAULTS.PSRoIAlign.sampling_ratio) -> list[onnx.NodeProto]:
    """Nodes computing PSRoIAlign: RoiAlign (half_pixel) of every channel at every bin, then a
    Gather that keeps channel (c*oh + ph)*ow + pw at bin (ph, pw)."""
    e = NodeEmitter(prefix)
    bins = output_height * output_width
    every = e.op("RoiAlign", [x, rois, batch_indices], mode="avg", output_height=output_height,
                 output_width=output_width, sampling_ratio=sampling_ratio, spatial_scale=float(spatial_scale),
                 coordinate_transformation_mode="half_pixel")
    grouped = e.op("Reshape", [every, e.const([0, -1, bins * bins], np.int64)])  # [K, C_out, bin_in*bins + bin_out]
    picked = e.op("Gather", [grouped, e.const([b * bins + b for b in range(bins)], np.int64)], axis=2)
    e.op("Reshape", [picked, e.const([0, -1, output_height, output_width], np.int64)], output)
    return e.nodes


def _model(nodes, inputs, outputs, name: str) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)], ir_version=10)
    onnx.checker.check_model(model, full_check=True)
    return model


def multi_scale_roi_align_model(spatial_scales: Sequence[float], *, dtype=np.float32, **attrs) -> onnx.ModelProto:
    """Inputs ``rois [K,4]``, ``batch_indices [K]`` (int64), ``X_0 ... X_{L-1}``; output ``Y``.
    Same numbers as ``roi_ops.MultiScaleRoIAlign`` with the same attributes (standard opset 16)."""
    t = _DTYPES[np.dtype(dtype)]
    L = len(spatial_scales)
    maps = [f"X_{i}" for i in range(L)]
    nodes = multi_scale_roi_align_nodes("rois", "batch_indices", maps, "Y", prefix="msra_",
                                        spatial_scales=spatial_scales, **attrs)
    inputs = [helper.make_tensor_value_info("rois", t, ["K", 4]),
              helper.make_tensor_value_info("batch_indices", TensorProto.INT64, ["K"])]
    inputs += [helper.make_tensor_value_info(m, t, ["N", "C", f"H_{i}", f"W_{i}"]) for i, m in enumerate(maps)]
    oh, ow = attrs.get("output_height", 1), attrs.get("output_width", 1)
    return _model(nodes, inputs, [helper.make_tensor_value_info("Y", t, ["K", "C", oh, ow])],
                  "multi_scale_roi_align_standard")


def ps_roi_align_model(channels: int, *, dtype=np.float32, **attrs) -> onnx.ModelProto:
    """Inputs ``X [N, channels, H, W]``, ``rois [K,4]``, ``batch_indices [K]``; output ``Y``. Same
    numbers as ``roi_ops.PSRoIAlign``."""
    t = _DTYPES[np.dtype(dtype)]
    oh, ow = attrs.get("output_height", 1), attrs.get("output_width", 1)
    if channels % (oh * ow):
        raise ValueError(f"channels = {channels} is not a multiple of output_height * output_width = {oh * ow}")
    nodes = ps_roi_align_nodes("X", "rois", "batch_indices", "Y", prefix="ps_", **attrs)
    inputs = [helper.make_tensor_value_info("X", t, ["N", channels, "H", "W"]),
              helper.make_tensor_value_info("rois", t, ["K", 4]),
              helper.make_tensor_value_info("batch_indices", TensorProto.INT64, ["K"])]
    return _model(nodes, inputs, [helper.make_tensor_value_info("Y", t, ["K", channels // (oh * ow), oh, ow])],
                  "ps_roi_align_standard")
