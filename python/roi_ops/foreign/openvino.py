"""OpenVINO's ``org.openvinotoolkit.ExperimentalDetectronROIFeatureExtractor`` (what mmdeploy
writes for OpenVINO; docs/foreign.md). OpenVINO's CPU kernel (experimental_detectron_roifeature
extractor, ``redistribute_rois``) sends a box to map clamp(floor(2 + log2(sqrt(area) / 224 + 1e-6)),
0, L-1) and pools it with RoIAlign (avg); ``pyramid_scales`` are the maps' strides. Inputs: rois
[K,4] (x1, y1, x2, y2) of image 0, then the maps; outputs: the features and the RoIs.
-> MultiScaleRoIAlign (canonical_scale 224, canonical_level k_min + 2, eps_in_log 1) with
batch indices 0, and the RoIs passed through for the second output."""
from __future__ import annotations

import math

import onnx
from onnx import TensorProto

from ..builders import make_multi_scale_roi_align_node
from ..graph import attribute_values
from ..standard_models import NodeEmitter
from . import Graph, converts, pyramid, required


@converts(("org.openvinotoolkit", "ExperimentalDetectronROIFeatureExtractor"),
          inputs=("rois", "feature maps"))
def roi_feature_extractor(node: onnx.NodeProto, e: NodeEmitter, g: Graph) -> None:
    a = attribute_values(node)
    scales = pyramid(required(node, a, "pyramid_scales"), "pyramid_scales")
    size = int(required(node, a, "output_size"))
    rois = node.input[0]
    k = e.op("Shape", [rois], start=0, end=1)
    zeros = e.op("ConstantOfShape", [k], value=onnx.helper.make_tensor("zero", TensorProto.INT64, [1], [0]))
    e.nodes.append(make_multi_scale_roi_align_node(
        rois, zeros, list(node.input[1:]), node.output[0], name=node.name or None, spatial_scales=scales,
        output_height=size, output_width=size, sampling_ratio=max(int(a.get("sampling_ratio", 0)), 0),
        aligned=int(a.get("aligned", 0)), canonical_scale=224.0, canonical_level=round(-math.log2(scales[0])) + 2,
        eps=1e-6, eps_in_log=1))
    if len(node.output) > 1 and node.output[1]:
        e.op("Identity", [rois], node.output[1])
