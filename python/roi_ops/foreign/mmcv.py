"""mmcv's and mmdeploy's RoI nodes (docs/foreign.md, "mmcv / mmdeploy").

- ``MMCVRoiAlign`` (mmcv's symbolic, mmcv/ops/roi_align.py; mmdeploy's TensorRT export): mode
  "avg" | "max" (the true max of bilinear samples), ``aligned``, rois [K,5] -> RoIAlign.
- ``MMCVRoIAlignRotated`` (mmcv/ops/roi_align_rotated.py): rois [K,6] (b, cx, cy, w, h, angle in
  radians), ``aligned``, ``clockwise`` -> RoIAlignRotated with angle_unit "radians".
- ``MMCVMultiLevelRoiAlign`` (mmdeploy, mmdet SingleRoIExtractor for TensorRT; kernel
  csrc/mmdeploy/backend_ops/tensorrt/multi_level_roi_align): level
  clamp(floor(log2(sqrt(area) / finest_scale + 1e-6)), 0, L-1), pool_mode 0 = max, 1 = avg ->
  MultiScaleRoIAlign with canonical_scale = finest_scale, canonical_level = k_min, eps_in_log = 1.
- ``MMCVMultiLevelRotatedRoiAlign`` (mmdeploy, mmrotate RotatedSingleRoIExtractor) ->
  MultiScaleRoIAlignRotated, likewise.

The attributes are taken as the node states them, which is how the TensorRT plugins read them:
mmdeploy writes output_height = output_size[1] and output_width = output_size[0].
"""
from __future__ import annotations

import math

import onnx

from ..builders import (make_multi_scale_roi_align_node, make_multi_scale_roi_align_rotated_node,
                        make_roi_align_node, make_roi_align_rotated_node)
from ..graph import attribute_values
from ..standard_models import NodeEmitter
from . import Graph, Refusal, converts, pyramid, required

DOMAINS = ("mmcv", "mmdeploy")


def _sampling(a: dict) -> int:
    return max(int(a.get("sampling_ratio", 0)), 0)  # mmcv: <= 0 is adaptive


@converts(*[(d, "MMCVRoiAlign") for d in DOMAINS], *[(d, "MMCVRoIAlign") for d in DOMAINS],
          inputs=("X", "rois"))
def roi_align(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attribute_values(node)
    mode = a.get("mode", "avg")
    if mode not in ("avg", "max"):
        raise Refusal(f"mode {mode!r}: mmcv pools with 'avg' or 'max'")
    e.nodes.append(make_roi_align_node(
        node.input[0], node.input[1], None, node.output[0], name=node.name or None,
        output_height=int(required(node, a, "output_height")), output_width=int(required(node, a, "output_width")),
        spatial_scale=float(a.get("spatial_scale", 1.0)), sampling_ratio=_sampling(a), mode=mode,
        aligned=int(a.get("aligned", 1))))


@converts(*[(d, "MMCVRoIAlignRotated") for d in DOMAINS], inputs=("X", "rois"))
def roi_align_rotated(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attribute_values(node)
    e.nodes.append(make_roi_align_rotated_node(
        node.input[0], node.input[1], None, node.output[0], name=node.name or None,
        output_height=int(required(node, a, "output_height")), output_width=int(required(node, a, "output_width")),
        spatial_scale=float(a.get("spatial_scale", 1.0)), sampling_ratio=_sampling(a),
        aligned=int(a.get("aligned", 1)), clockwise=int(a.get("clockwise", 0)), angle_unit="radians"))


def _levels(a: dict) -> dict:
    scales = pyramid(a["featmap_strides"], "featmap_strides")
    k_min = round(-math.log2(scales[0]))
    return dict(spatial_scales=scales, canonical_scale=float(a.get("finest_scale", 56)), canonical_level=k_min,
                eps=1e-6, eps_in_log=1)


@converts(("mmdeploy", "MMCVMultiLevelRoiAlign"), inputs=("rois", "feature maps"))
def multi_level_roi_align(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attribute_values(node)
    required(node, a, "featmap_strides")
    f = float(a.get("roi_scale_factor", -1.0))
    if f > 0 and f != 1.0:
        # trt_multi_level_roi_align_kernel.cu: half width = ((x2 - x1 + 1) * f - 1) / 2, the legacy +1
        # box width; roi_ops' roi_scale_factor is mmdetection's roi_rescale (w * f).
        raise Refusal(f"roi_scale_factor={f:g}: mmdeploy's TensorRT kernel rescales the legacy +1 box width "
                      f"((x2 - x1 + 1) * f - 1), which roi_ops' roi_scale_factor (w * f) does not reproduce")
    pool_mode = int(a.get("pool_mode", 1))
    if pool_mode not in (0, 1):
        raise Refusal(f"pool_mode {pool_mode}: mmdeploy's kernel takes 0 (max) or 1 (avg)")
    e.nodes.append(make_multi_scale_roi_align_node(
        node.input[0], None, list(node.input[1:]), node.output[0], name=node.name or None,
        output_height=int(required(node, a, "output_height")), output_width=int(required(node, a, "output_width")),
        sampling_ratio=_sampling(a), mode="max" if pool_mode == 0 else "avg", aligned=int(a.get("aligned", 1)),
        **_levels(a)))


@converts(("mmdeploy", "MMCVMultiLevelRotatedRoiAlign"), inputs=("rois", "feature maps"))
def multi_level_rotated_roi_align(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attribute_values(node)
    required(node, a, "featmap_strides")
    f = float(a.get("roi_scale_factor", -1.0))
    e.nodes.append(make_multi_scale_roi_align_rotated_node(
        node.input[0], None, list(node.input[1:]), node.output[0], name=node.name or None,
        output_height=int(required(node, a, "output_height")), output_width=int(required(node, a, "output_width")),
        sampling_ratio=_sampling(a), aligned=int(a.get("aligned", 1)), clockwise=int(a.get("clockwise", 0)),
        angle_unit="radians", roi_scale_factor=f if f > 0 else 1.0, **_levels(a)))
