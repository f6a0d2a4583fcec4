"""T1: torchvision's own Faster R-CNN R50-FPN (random weights, ``min_size = max_size = size``),
exported by torchvision's TorchScript path at opset 17, against the same model after
``roi-ops convert`` (its box pooler fused into one MultiScaleRoIAlign): the whole model on one
image, and the pooler block alone (``onnx.utils.extract_model`` from the proposals and the four
FPN maps to the pooled features, fed with the values the model computes on that image).

The export needs torch and torchvision and takes a minute at 800 px; it is cached in
``cache_dir``."""
from __future__ import annotations

import io
import os
import tempfile
import warnings

import numpy as np
import onnx

from .._extras import missing
from .cases import Case

WORKLOAD = "T1 torchvision Faster R-CNN R50-FPN"


def export_faster_rcnn(size: int, path: str) -> None:
    """Writes torchvision's fasterrcnn_resnet50_fpn (seed 0, no downloaded weights) to ``path``."""
    import torch

    from ..torch.torchvision_ops import import_torchvision

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tv = import_torchvision()
        torch.manual_seed(0)
        model = tv.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, min_size=size,
                                                             max_size=size).eval()
        buffer = io.BytesIO()
        torch.onnx.export(model, ([torch.rand(3, size, size)],), buffer, dynamo=False, opset_version=17,
                          input_names=["image"], output_names=["boxes", "labels", "scores"],
                          dynamic_axes={"image": [1, 2]})
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


def detections_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Largest box or score difference between detections paired by label and nearest box
    (detections whose scores tie may come in either order); inf if the labels differ."""
    if a[0].shape != b[0].shape or sorted(a[1].tolist()) != sorted(b[1].tolist()):
        return float("inf")
    worst, used = 0.0, set()
    for i in range(len(b[0])):
        candidates = [j for j in range(len(a[0])) if j not in used and a[1][j] == b[1][i]]
        j = min(candidates, key=lambda j: float(np.abs(a[0][j] - b[0][i]).max()))
        used.add(j)
        worst = max(worst, float(np.abs(a[0][j] - b[0][i]).max()), float(abs(a[2][j] - b[2][i])))
    return worst


def torchvision_cases(size: int = 800, cache_dir: str = "bench_output"):
    """The whole-model and pooler-block cases of T1 (nothing if torch or torchvision is missing)."""
    if missing("torch", "torchvision"):
        return
    import onnxruntime as ort

    from ..convert import to_roi_ops
    from ..fusion import find_poolers
    from ..graph import opset_version

    path = os.path.join(cache_dir, f"torchvision_fasterrcnn_resnet50_fpn_{size}.onnx")
    if not os.path.isfile(path):
        export_faster_rcnn(size, path)
    model = onnx.load(path)
    image = np.random.default_rng(1234).random((3, size, size), np.float32)
    feeds = {"image": image}
    label = f"{WORKLOAD} {size}x{size}"
    yield Case(label, "whole model", "float32", to_roi_ops(model), feeds, "exported model", model, feeds,
               difference=detections_difference, interleaved=True)

    (pooler,) = find_poolers(model.graph, opset_version(model))
    inputs, output = pooler.box_inputs + pooler.maps, pooler.output
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in inputs)
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    values = session.run(inputs, feeds)
    with tempfile.TemporaryDirectory() as tmp:
        onnx.utils.extract_model(path, os.path.join(tmp, "block.onnx"), inputs, [output])
        block = onnx.load(os.path.join(tmp, "block.onnx"))
    block_feeds = dict(zip(inputs, values))
    yield Case(label, "pooler block", "float32", to_roi_ops(block), block_feeds, "exported block", block, block_feeds)
