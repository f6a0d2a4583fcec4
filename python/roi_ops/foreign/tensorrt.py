"""TensorRT plugin nodes of graphs prepared for TensorRT (docs/foreign.md, "TensorRT").

- ``ROIAlign_TRT`` (TensorRT's roiAlignPlugin, the ONNX RoiAlign of TensorRT's parser): X, rois
  [K,4], batch_indices [K] (int32); ``coordinate_transformation_mode`` 0 = output_half_pixel,
  1 = half_pixel; ``mode`` 0 = max, 1 = avg; its max is ONNX's (the largest weighted corner)
  -> RoIAlign with mode "onnx_max" | "avg".
- ``CropAndResize`` / ``CropAndResizeDynamic`` (cropAndResizePlugin) -> CropAndResize on the
  flattened [N*B] boxes, reshaped back to [N, B, C, h, w].
- ``PyramidROIAlign_TRT`` -> MultiScaleRoIAlign after standard ops that put the boxes in the
  plugin's form (see pyramid_roi_align).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto

from ..builders import make_crop_and_resize_node, make_multi_scale_roi_align_node, make_roi_align_node
from ..graph import attribute_values
from ..standard_models import NodeEmitter
from . import Graph, Refusal, converts


@converts(("", "ROIAlign_TRT"), ("trt.plugins", "ROIAlign_TRT"), inputs=("X", "rois", "batch_indices"))
def roi_align(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attribute_values(node)
    ctm, mode = int(a.get("coordinate_transformation_mode", 1)), int(a.get("mode", 1))
    if ctm not in (0, 1):
        raise Refusal(f"coordinate_transformation_mode {ctm}: the plugin takes 0 (output_half_pixel) or 1 (half_pixel)")
    if mode not in (0, 1):
        raise Refusal(f"mode {mode}: the plugin takes 0 (max) or 1 (avg)")
    bi = e.op("Cast", [node.input[2]], to=TensorProto.INT64)
    e.nodes.append(make_roi_align_node(
        node.input[0], node.input[1], bi, node.output[0], name=node.name or None,
        output_height=int(a.get("output_height", 1)), output_width=int(a.get("output_width", 1)),
        spatial_scale=float(a.get("spatial_scale", 1.0)), sampling_ratio=max(int(a.get("sampling_ratio", 0)), 0),
        mode="onnx_max" if mode == 0 else "avg", aligned=ctm))


def _batched_rois(e: NodeEmitter, rois: str) -> tuple[str, str]:
    """rois [N, R, 4, ...] -> (boxes [N*R, 4], batch index of each [N*R] int64)."""
    flat = e.op("Reshape", [rois, e.const([-1, 4], np.int64)])
    n = e.op("Shape", [rois], start=0, end=1)
    nr = e.op("Shape", [rois], start=0, end=2)
    image = e.op("Range", [e.const(0, np.int64), e.op("Squeeze", [n]), e.const(1, np.int64)])
    grid = e.op("Expand", [e.op("Unsqueeze", [image, e.const([1], np.int64)]), nr])
    return flat, e.op("Reshape", [grid, e.const([-1], np.int64)])


def _unbatch(e: NodeEmitter, y: str, rois: str, output: str) -> None:
    """Y [N*R, C, h, w] -> output [N, R, C, h, w]."""
    shape = e.op("Concat", [e.op("Shape", [rois], start=0, end=2), e.op("Shape", [y], start=1, end=4)], axis=0)
    e.op("Reshape", [y, shape], output)


@converts(("", "CropAndResize"), ("trt.plugins", "CropAndResize"), ("", "CropAndResizeDynamic"),
          ("trt.plugins", "CropAndResizeDynamic"), inputs=("X", "rois"))
def crop_and_resize(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    """TensorRT's cropAndResizePlugin (plugin/common/kernels/cropAndResizeKernel.cu):
    tf.image.crop_and_resize with extrapolation value 0 on feature_maps [N,C,H,W] and rois
    [N,B,4,1] normalised (y1, x1, y2, x2), box b of image b // B; output [N,B,C,crop_h,crop_w]."""
    a = attribute_values(node)
    for name in ("crop_height", "crop_width"):
        if name not in a:
            raise Refusal(f"attribute '{name}' is missing")
    boxes, index = _batched_rois(e, node.input[1])
    y = e.name("crops")
    e.nodes.append(make_crop_and_resize_node(node.input[0], boxes, index, y, crop_height=int(a["crop_height"]),
                                             crop_width=int(a["crop_width"])))
    _unbatch(e, y, node.input[1], node.output[0])


@converts(("", "PyramidROIAlign_TRT"), ("trt.plugins", "PyramidROIAlign_TRT"),
          inputs=("rois", "feature maps"))
def pyramid_roi_align(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    """TensorRT's PyramidROIAlign_TRT (plugin/common/kernels/maskRCNNKernels.cu, roiAlign_kernel):
    rois [N,R,4] clipped to the image, map P2..P5 chosen by comparing the clipped box's area with
    (fpn_scale/2)^2 * 4^i, RoIAlign on it; output [N,R,C,pooled_size,pooled_size]. Converted as
    standard ops (reorder, sort and clip the corners, scale normalised ones to pixels) followed by
    MultiScaleRoIAlign with canonical_scale fpn_scale, canonical_level 4, eps 0, for maps of
    image_size / 4, / 8, / 16, / 32."""
    a = attribute_values(node)
    if int(a.get("legacy", 0)) or int(a.get("roi_coords_transform", 2)) == -1:
        raise Refusal("the legacy coordinate transform (roi_coords_transform=-1 or legacy=1, align-corners "
                      "sampling) has no roi_ops equivalent")
    transform = int(a.get("roi_coords_transform", 2))
    if transform not in (1, 2):
        raise Refusal(f"roi_coords_transform={transform} (samples without the half-pixel offset) has no roi_ops "
                      f"equivalent; 1 (output_half_pixel) and 2 (half_pixel) convert")
    if int(a.get("roi_coords_plusone", 0)):
        raise Refusal("roi_coords_plusone=1 (levels chosen from the box area with +1 pixel per side) has no roi_ops "
                      "equivalent")
    if len(node.input) != 5:
        raise Refusal(f"expects rois and the four maps P2..P5; got {len(node.input)} inputs")
    image_h, image_w = (int(v) for v in a.get("image_size", [1024, 1024]))
    rois, index = _batched_rois(e, node.input[0])
    c = [e.name(f"corner{i}") for i in range(4)]
    e.nodes.append(onnx.helper.make_node("Split", [rois, e.const([1, 1, 1, 1], np.int64)], c, axis=1,
                                         name=e.name("split")))
    if int(a.get("roi_coords_swap", 0)):  # (y1, x1, y2, x2)
        c = [c[1], c[0], c[3], c[2]]
    x1, y1 = e.op("Min", [c[0], c[2]]), e.op("Min", [c[1], c[3]])
    x2, y2 = e.op("Max", [c[0], c[2]]), e.op("Max", [c[1], c[3]])
    size = e.const([image_w, image_h, image_w, image_h], np.float32)
    box = e.op("Concat", [x1, y1, x2, y2], axis=1)
    if not int(a.get("roi_coords_absolute", 1)):
        box = e.op("Mul", [box, size])
    box = e.op("Max", [e.op("Min", [box, size]), e.const(0.0, np.float32)])  # clipped to the image
    pooled = int(a.get("pooled_size", 7))
    y = e.name("pooled")
    e.nodes.append(make_multi_scale_roi_align_node(
        box, index, list(node.input[1:]), y, spatial_scales=[0.25, 0.125, 0.0625, 0.03125], output_height=pooled,
        output_width=pooled, sampling_ratio=max(int(a.get("sampling_ratio", 0)), 0), aligned=int(transform == 2),
        canonical_scale=float(a.get("fpn_scale", 224)), canonical_level=4, eps=0.0, eps_in_log=0))
    _unbatch(e, y, node.input[0], node.output[0])


@converts(("", "MultilevelCropAndResize_TRT"), ("trt.plugins", "MultilevelCropAndResize_TRT"),
          inputs=("rois", "feature maps"))
def multilevel_crop_and_resize(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    """TensorRT's MultilevelCropAndResize_TRT (maskRCNNKernels.cu, roiAlignHalfCenter_kernel):
    rois [N,R,4] (y1, x1, y2, x2) in image pixels, maps P2..P6; level by comparing the area with
    (224/2)^2 * 4^i, one sample at each bin's centre on map 1/2^level -> MultiScaleRoIAlign with
    sampling_ratio 1, aligned 0, canonical_scale 224, canonical_level 4, eps 0 on the
    (x1, y1, x2, y2) boxes."""
    a = attribute_values(node)
    if len(node.input) != 6:
        raise Refusal(f"expects rois and the five maps P2..P6; got {len(node.input)} inputs")
    rois, index = _batched_rois(e, node.input[0])
    xyxy = e.op("Gather", [rois, e.const([1, 0, 3, 2], np.int64)], axis=1)
    pooled = int(a.get("pooled_size", 7))
    y = e.name("pooled")
    e.nodes.append(make_multi_scale_roi_align_node(
        xyxy, index, list(node.input[1:]), y, spatial_scales=[2.0 ** -i for i in range(2, 7)], output_height=pooled,
        output_width=pooled, sampling_ratio=1, aligned=0, canonical_scale=224.0, canonical_level=4, eps=0.0,
        eps_in_log=0))
    _unbatch(e, y, node.input[0], node.output[0])
