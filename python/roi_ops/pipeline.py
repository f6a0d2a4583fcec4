"""End-to-end detection models: a detector with roi_ops nodes wrapped in pre- and
post-processing built by onnxruntime-extensions' pre/post-processing tools, so that one
onnxruntime session goes from encoded image bytes to an annotated image.

Pre-processing: decode (PNG/JPEG) → RGB → resize (aspect kept) → letterbox to the detector's
input size → CHW float in [0, 1] with a batch axis. Post-processing: NonMaxSuppression per class
on the detector's boxes (cx, cy, w, h) and scores, boxes mapped back to the original image,
boxes drawn, PNG encoded.

Bytes from outside go through ``decode_problem`` first: the decoder can end or hang the process
on some files that are not images.

The detector must have one input [1, 3, S, S] and two outputs: boxes [K, 4] as (cx, cy, w, h)
in input pixels and scores [K, classes] (models/faster_rcnn_detector.onnx is one). The wrapped
model needs onnxruntime-extensions' library registered, and ours when the detector holds roi_ops
nodes (``roi_ops.extensions.session_options_with_extensions``).
"""
from __future__ import annotations

import io

import onnx
from onnx import TensorProto, helper

from ._library import DOMAIN, OPSET_VERSION
from .graph import opset_version

OUTPUTS = ("annotated_png", "detections", "pixels")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_START = b"\xff\xd8"  # start-of-image marker


def add_pre_post_processing(detector: onnx.ModelProto, *, max_detections: int = 10, iou_threshold: float = 0.5,
                            score_threshold: float = 0.0, thickness: int = 2) -> onnx.ModelProto:
    """The end-to-end model. Input ``image_bytes`` (uint8 [num_bytes], an encoded image).
    Outputs: ``annotated_png`` (uint8 bytes), ``detections`` (float [n, 6]: cx, cy, w, h in the
    original image's pixels, score, class index into the detector's scores) and ``pixels`` (the
    detector's input, for checking the pre-processing)."""
    from onnxruntime_extensions.tools.pre_post_processing import (
        ChannelsLastToChannelsFirst, ConvertBGRToImage, ConvertImageToBGR, DrawBoundingBoxes, ImageBytesToFloat,
        LetterBox, PrePostProcessor, Resize, ReverseAxis, ScaleNMSBoundingBoxesAndKeyPoints,
        SelectBestBoundingBoxesByNMS, Unsqueeze, utils)

    if len(detector.graph.input) != 1 or len(detector.graph.output) != 2:
        raise ValueError("the detector must have one input (the image) and two outputs (boxes, scores)")
    dims = detector.graph.input[0].type.tensor_type.shape.dim
    size = (dims[2].dim_value, dims[3].dim_value)
    classes = detector.graph.output[1].type.tensor_type.shape.dim[1].dim_value
    if not all(size) or not classes:
        raise ValueError("the detector's input size and number of classes must be static")

    pre = PrePostProcessor([utils.create_named_value("image_bytes", TensorProto.UINT8, ["num_bytes"])],
                           opset_version(detector))
    admit_roi_ops(pre)

    batched = Unsqueeze([0])
    pre.add_pre_processing([
        ConvertImageToBGR(),
        ReverseAxis(axis=2, dim_value=3, name="BGRToRGB"),  # PyTorch-trained detectors take RGB
        Resize(size, policy="not_larger"),
        LetterBox(target_shape=size),
        ChannelsLastToChannelsFirst(),
        ImageBytesToFloat(),
        batched,
    ])
    scaled = ScaleNMSBoundingBoxesAndKeyPoints(name="ScaleBoundingBoxes")
    pre.add_post_processing([
        SelectBestBoundingBoxesByNMS(iou_threshold=iou_threshold, score_threshold=score_threshold,
                                     max_detections=max_detections),
        (scaled, [utils.IoMapEntry("ConvertImageToBGR", 0, 1), utils.IoMapEntry("Resize", 0, 2),
                  utils.IoMapEntry("LetterBox", 0, 3)]),
        (DrawBoundingBoxes(mode="CENTER_XYWH", thickness=thickness, num_classes=classes, colour_by_classes=True),
         [utils.IoMapEntry("ConvertImageToBGR", 0, 0), utils.IoMapEntry("ScaleBoundingBoxes", 0, 1)]),
        ConvertBGRToImage(image_format="png"),
    ])
    model = pre.run(detector)

    graph = model.graph
    _rename_value(graph, graph.output[0].name, OUTPUTS[0])
    graph.output.extend([
        helper.make_tensor_value_info(scaled.output_names[0], TensorProto.FLOAT, ["detections", 6]),
        helper.make_tensor_value_info(batched.output_names[0], TensorProto.FLOAT, [1, 3, *size]),
    ])
    _rename_value(graph, scaled.output_names[0], OUTPUTS[1])
    _rename_value(graph, batched.output_names[0], OUTPUTS[2])
    onnx.checker.check_model(model)
    return model


def decode_problem(data: bytes) -> str:
    """Why the pre-processing cannot take these bytes, or "" when it can; check before a run.

    onnxruntime-extensions' DecodeImage (0.15) sends every input that is not a PNG to libjpeg
    with libjpeg's default error handler: data that is not a JPEG (8 bytes or more) or a damaged
    JPEG ends the whole process (exit status 1), and a truncated JPEG makes it loop forever. Its
    PNG path reports errors, so a PNG passes here as it is; a JPEG is decoded once by Pillow
    first, which raises where libjpeg would stop."""
    if data[:8] == PNG_SIGNATURE:
        return ""
    if data[:2] != JPEG_START:
        return "not a PNG or JPEG file"
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as e:  # noqa: BLE001 - Pillow's message names what is wrong with the file
        return f"a damaged JPEG ({e})"
    return ""


def admit_roi_ops(pre) -> None:
    """Makes roi_ops nodes legal in ``pre`` (an onnxruntime-extensions ``PrePostProcessor``).

    The tools check every step with an onnx checker context that knows only their own domains,
    and the finished model keeps only that context's opset imports. They offer no public way to
    add a domain (0.14 to 0.15), so this is the one place that touches their private context;
    tests/test_demo.py checks that the wrapped model imports roi_ops and runs."""
    context = getattr(pre, "_custom_op_checker_context", None)
    if context is None or not isinstance(getattr(context, "opset_imports", None), dict):
        raise RuntimeError("roi_ops.pipeline: this onnxruntime-extensions keeps no checker context in "
                           "PrePostProcessor._custom_op_checker_context; it supports 0.14 to 0.15")
    context.opset_imports = {**context.opset_imports, DOMAIN: OPSET_VERSION}


def _rename_value(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for v in graph.output:
        if v.name == old:
            v.name = new
