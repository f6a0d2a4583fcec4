"""onnxruntime's contrib ``com.microsoft.CropAndResize`` (what tf2onnx writes for
``tf.image.crop_and_resize``; docs/foreign.md): X [N,C,H,W], rois [K,4] normalised (y1, x1, y2, x2),
batch_indices [K] int32, crop_size [2] int32 (a constant), attributes mode "bilinear" | "nearest"
and extrapolation_value -> roi_ops.CropAndResize, which computes the same numbers
(tf.image.crop_and_resize, docs/spec.md) on the same NCHW layout, so the transposes tf2onnx
puts around it stay as they are."""
from __future__ import annotations

import onnx

from ..builders import make_crop_and_resize_node
from ..standard_models import NodeEmitter
from . import Graph, Refusal, attributes, converts


@converts(("com.microsoft", "CropAndResize"))
def crop_and_resize(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attributes(node)
    if len(node.input) < 4:
        raise Refusal("needs inputs X, rois, batch_indices and crop_size")
    size = g.constant(node.input[3])
    if size is None:
        raise Refusal(f"crop_size '{node.input[3]}' is computed at run time; roi_ops.CropAndResize takes the crop "
                      f"size as attributes, so it must be a constant")
    if size.shape != (2,):
        raise Refusal(f"crop_size must hold 2 values (height, width); got shape {list(size.shape)}")
    mode = a.get("mode", "bilinear")
    if mode not in ("bilinear", "nearest"):
        raise Refusal(f"mode {mode!r}: CropAndResize takes 'bilinear' or 'nearest'")
    e.nodes.append(make_crop_and_resize_node(
        node.input[0], node.input[1], node.input[2], node.output[0], name=node.name or None,
        crop_height=int(size[0]), crop_width=int(size[1]), method=mode,
        extrapolation_value=float(a.get("extrapolation_value", 0.0))))
