"""Builders for roi_ops nodes and models, with attributes checked as the library checks them.

Each builder returns a new ``onnx.NodeProto`` in the ``roi_ops`` domain; ``add_opset_import``
returns a copy of a model that imports the domain. Bad values raise ``ValueError`` with the
library's message (``roi_ops.attribute_checks``).
"""
from __future__ import annotations

from typing import Sequence

import onnx
from onnx import helper

from ._library import DOMAIN, OPSET_VERSION
from .attribute_checks import check_attributes
from .attributes import DEFAULTS


def _node(op_type: str, inputs: list[str], output: str, name: str | None, **attrs) -> onnx.NodeProto:
    """A node of ``op_type`` with its attributes checked as the library checks them."""
    return helper.make_node(op_type, inputs, [output], name=name, domain=DOMAIN,
                            **check_attributes(op_type, **attrs))


def _roi_inputs(x: str, rois: str, batch_indices: str | None) -> list[str]:
    # rois [K,4] needs batch_indices; rois [K,5] carries the batch index and omits it.
    return [x, rois] if not batch_indices else [x, rois, batch_indices]


def make_roi_align_node(
    x: str,
    rois: str,
    batch_indices: str | None,
    output: str,
    *,
    output_height: int = DEFAULTS.RoIAlign.output_height,
    output_width: int = DEFAULTS.RoIAlign.output_width,
    spatial_scale: float = DEFAULTS.RoIAlign.spatial_scale,
    sampling_ratio: int = DEFAULTS.RoIAlign.sampling_ratio,
    mode: str = DEFAULTS.RoIAlign.mode,
    aligned: int | bool = DEFAULTS.RoIAlign.aligned,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.RoIAlign`` node.

    ``aligned=0, mode="avg"`` equals ONNX ``RoiAlign`` (``output_half_pixel``) and
    ``torchvision.ops.roi_align(aligned=False)``; ``aligned=1`` equals ``half_pixel``,
    torchvision ``aligned=True``, detectron2 ``ROIAlign(aligned=True)`` and mmcv ``aligned=True``.
    ``mode="max"`` is the max of bilinear samples (mmcv ``pool_mode="max"``); ``"onnx_max"``
    reproduces ONNX Runtime's ``RoiAlign(mode="max")``. Pass ``batch_indices=None`` with
    rois of shape [K,5] (batch index first).
    """
    return _node("RoIAlign", _roi_inputs(x, rois, batch_indices), output, name, output_height=output_height,
                 output_width=output_width, spatial_scale=spatial_scale, sampling_ratio=sampling_ratio, mode=mode,
                 aligned=aligned)


def make_roi_pool_node(
    x: str,
    rois: str,
    batch_indices: str | None,
    output: str,
    *,
    output_height: int = DEFAULTS.RoIPool.output_height,
    output_width: int = DEFAULTS.RoIPool.output_width,
    spatial_scale: float = DEFAULTS.RoIPool.spatial_scale,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.RoIPool`` node: the numbers of ONNX ``MaxRoiPool`` and
    ``torchvision.ops.roi_pool`` (Fast R-CNN rounding)."""
    return _node("RoIPool", _roi_inputs(x, rois, batch_indices), output, name, output_height=output_height,
                 output_width=output_width, spatial_scale=spatial_scale)


def make_ps_roi_align_node(
    x: str,
    rois: str,
    batch_indices: str | None,
    output: str,
    *,
    output_height: int = DEFAULTS.PSRoIAlign.output_height,
    output_width: int = DEFAULTS.PSRoIAlign.output_width,
    spatial_scale: float = DEFAULTS.PSRoIAlign.spatial_scale,
    sampling_ratio: int = DEFAULTS.PSRoIAlign.sampling_ratio,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.PSRoIAlign`` node (R-FCN): X has C_out * output_height * output_width channels;
    output channel c at bin (ph, pw) reads input channel (c * oh + ph) * ow + pw. Equals
    ``torchvision.ops.ps_roi_align`` (half-pixel geometry, no minimum RoI size)."""
    return _node("PSRoIAlign", _roi_inputs(x, rois, batch_indices), output, name, output_height=output_height,
                 output_width=output_width, spatial_scale=spatial_scale, sampling_ratio=sampling_ratio)


def make_ps_roi_pool_node(
    x: str,
    rois: str,
    batch_indices: str | None,
    output: str,
    *,
    output_height: int = DEFAULTS.PSRoIPool.output_height,
    output_width: int = DEFAULTS.PSRoIPool.output_width,
    spatial_scale: float = DEFAULTS.PSRoIPool.spatial_scale,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.PSRoIPool`` node (R-FCN): the mean over each bin's window, channels mapped as
    in PSRoIAlign. Equals ``torchvision.ops.ps_roi_pool``."""
    return _node("PSRoIPool", _roi_inputs(x, rois, batch_indices), output, name, output_height=output_height,
                 output_width=output_width, spatial_scale=spatial_scale)


def make_roi_align_rotated_node(
    x: str,
    rois: str,
    batch_indices: str | None,
    output: str,
    *,
    output_height: int = DEFAULTS.RoIAlignRotated.output_height,
    output_width: int = DEFAULTS.RoIAlignRotated.output_width,
    spatial_scale: float = DEFAULTS.RoIAlignRotated.spatial_scale,
    sampling_ratio: int = DEFAULTS.RoIAlignRotated.sampling_ratio,
    aligned: int | bool = DEFAULTS.RoIAlignRotated.aligned,
    clockwise: int | bool = DEFAULTS.RoIAlignRotated.clockwise,
    angle_unit: str = DEFAULTS.RoIAlignRotated.angle_unit,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.RoIAlignRotated`` node; rois are (cx, cy, w, h, angle): [K,5] with
    ``batch_indices`` or [K,6] with the batch index first (``batch_indices=None``).

    The defaults equal detectron2 ``ROIAlignRotated`` (degrees, counter-clockwise, aligned);
    ``angle_unit="radians"`` with ``aligned``/``clockwise`` as set equals mmcv
    ``roi_align_rotated``.
    """
    return _node("RoIAlignRotated", _roi_inputs(x, rois, batch_indices), output, name, output_height=output_height,
                 output_width=output_width, spatial_scale=spatial_scale, sampling_ratio=sampling_ratio,
                 aligned=aligned, clockwise=clockwise, angle_unit=angle_unit)


def make_multi_scale_roi_align_node(
    rois: str,
    batch_indices: str | None,
    maps: Sequence[str],
    output: str,
    *,
    spatial_scales: Sequence[float],
    output_height: int = DEFAULTS.MultiScaleRoIAlign.output_height,
    output_width: int = DEFAULTS.MultiScaleRoIAlign.output_width,
    sampling_ratio: int = DEFAULTS.MultiScaleRoIAlign.sampling_ratio,
    mode: str = DEFAULTS.MultiScaleRoIAlign.mode,
    aligned: int | bool = DEFAULTS.MultiScaleRoIAlign.aligned,
    canonical_scale: float = DEFAULTS.MultiScaleRoIAlign.canonical_scale,
    canonical_level: int = DEFAULTS.MultiScaleRoIAlign.canonical_level,
    eps: float = DEFAULTS.MultiScaleRoIAlign.eps,
    eps_in_log: int | bool = DEFAULTS.MultiScaleRoIAlign.eps_in_log,
    roi_scale_factor: float = DEFAULTS.MultiScaleRoIAlign.roi_scale_factor,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.MultiScaleRoIAlign`` node: FPN level assignment fused with RoIAlign over the
    feature maps ``maps`` (finest first, one per entry of ``spatial_scales``; levels may be
    skipped). The output keeps the order of the input RoIs.

    The defaults equal ``torchvision.ops.MultiScaleRoIAlign``. detectron2 ``ROIPooler``:
    ``eps=1e-8, eps_in_log=1, aligned=1``. mmdetection ``SingleRoIExtractor`` (finest_scale=56):
    ``canonical_scale=56, canonical_level=k_min, eps_in_log=1, aligned=1``; its ``roi_scale_factor``
    and mmcv's ``pool_mode="max"`` map to the attributes of the same meaning.
    """
    return _multi_scale_node("MultiScaleRoIAlign", rois, batch_indices, maps, output, name,
                             spatial_scales=spatial_scales, output_height=output_height, output_width=output_width,
                             sampling_ratio=sampling_ratio, mode=mode, aligned=aligned, canonical_scale=canonical_scale,
                             canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log,
                             roi_scale_factor=roi_scale_factor)


def make_multi_scale_roi_align_rotated_node(
    rois: str,
    batch_indices: str | None,
    maps: Sequence[str],
    output: str,
    *,
    spatial_scales: Sequence[float],
    output_height: int = DEFAULTS.MultiScaleRoIAlignRotated.output_height,
    output_width: int = DEFAULTS.MultiScaleRoIAlignRotated.output_width,
    sampling_ratio: int = DEFAULTS.MultiScaleRoIAlignRotated.sampling_ratio,
    aligned: int | bool = DEFAULTS.MultiScaleRoIAlignRotated.aligned,
    clockwise: int | bool = DEFAULTS.MultiScaleRoIAlignRotated.clockwise,
    angle_unit: str = DEFAULTS.MultiScaleRoIAlignRotated.angle_unit,
    canonical_scale: float = DEFAULTS.MultiScaleRoIAlignRotated.canonical_scale,
    canonical_level: int = DEFAULTS.MultiScaleRoIAlignRotated.canonical_level,
    eps: float = DEFAULTS.MultiScaleRoIAlignRotated.eps,
    eps_in_log: int | bool = DEFAULTS.MultiScaleRoIAlignRotated.eps_in_log,
    roi_scale_factor: float = DEFAULTS.MultiScaleRoIAlignRotated.roi_scale_factor,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.MultiScaleRoIAlignRotated`` node: FPN level assignment from sqrt(w * h) fused
    with RoIAlignRotated; rois are (cx, cy, w, h, angle), [K,5] with ``batch_indices`` or [K,6].

    mmrotate's ``RotatedSingleRoIExtractor`` (mmdeploy's ``MMCVMultiLevelRotatedRoiAlign``):
    ``canonical_scale=finest_scale (56), canonical_level=k_min, eps_in_log=1, angle_unit="radians"``.
    """
    return _multi_scale_node("MultiScaleRoIAlignRotated", rois, batch_indices, maps, output, name,
                             spatial_scales=spatial_scales, output_height=output_height, output_width=output_width,
                             sampling_ratio=sampling_ratio, aligned=aligned, clockwise=clockwise,
                             angle_unit=angle_unit, canonical_scale=canonical_scale, canonical_level=canonical_level,
                             eps=eps, eps_in_log=eps_in_log, roi_scale_factor=roi_scale_factor)


def _multi_scale_node(op_type: str, rois: str, batch_indices: str | None, maps: Sequence[str], output: str,
                      name: str | None, *, spatial_scales: Sequence[float], **attributes) -> onnx.NodeProto:
    attrs = check_attributes(op_type, spatial_scales=spatial_scales, **attributes)
    if len(maps) != len(attrs["spatial_scales"]):
        raise ValueError(f"{op_type}: {len(maps)} feature maps but {len(attrs['spatial_scales'])} "
                         "spatial_scales; give one scale per map")
    # The empty name marks the omitted batch_indices when rois carry the batch index.
    return helper.make_node(op_type, [rois, batch_indices or "", *maps], [output], name=name, domain=DOMAIN, **attrs)


def make_crop_and_resize_node(
    x: str,
    boxes: str,
    box_indices: str,
    output: str,
    *,
    crop_height: int,
    crop_width: int,
    method: str = DEFAULTS.CropAndResize.method,
    extrapolation_value: float = DEFAULTS.CropAndResize.extrapolation_value,
    name: str | None = None,
) -> onnx.NodeProto:
    """A ``roi_ops.CropAndResize`` node: ``tf.image.crop_and_resize`` on NCHW maps; boxes [K,4]
    are normalised (y1, x1, y2, x2), box_indices [K] int32 or int64."""
    return _node("CropAndResize", [x, boxes, box_indices], output, name, crop_height=crop_height,
                 crop_width=crop_width, method=method, extrapolation_value=extrapolation_value)


def add_opset_import(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` that imports the ``roi_ops`` domain (version 1)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for imp in out.opset_import:
        if imp.domain == DOMAIN:
            if imp.version != OPSET_VERSION:
                raise ValueError(f"model imports {DOMAIN} version {imp.version}; this package provides {OPSET_VERSION}")
            return out
    out.opset_import.append(helper.make_opsetid(DOMAIN, OPSET_VERSION))
    return out


def make_model(
    nodes: Sequence[onnx.NodeProto],
    inputs: Sequence[onnx.ValueInfoProto],
    outputs: Sequence[onnx.ValueInfoProto],
    *,
    opset: int = 17,
    name: str = "roi_ops_graph",
) -> onnx.ModelProto:
    """A model of ``nodes`` importing the standard opset ``opset`` and ``roi_ops``."""
    graph = helper.make_graph(list(nodes), name, list(inputs), list(outputs))
    # IR version 10 is read by every onnxruntime this package supports (>= 1.21).
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    return add_opset_import(model)
