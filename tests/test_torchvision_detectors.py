"""torchvision's own detectors, exported by torchvision's TorchScript exporter path, converted
by ``roi_ops.convert`` and run in onnxruntime: the pooler blocks become one
MultiScaleRoIAlign node each and the detections stay those of the exported model. Also the
other way in: ``roi_ops.torch.export`` of a detector whose poolers were replaced gives
PyTorch's detections. Weights are random (``weights=None``: nothing is downloaded); exports
are made once per test run (about 5 s each)."""
from __future__ import annotations

import io
import warnings
from contextlib import nullcontext

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from exporters import torchvision_or_skip

tv = torchvision_or_skip()

import torch  # noqa: E402

import roi_ops  # noqa: E402
import roi_ops.torch as rt  # noqa: E402
from roi_ops import convert  # noqa: E402

SIZE = 320  # min_size = max_size: images are resized to fit 320 x 320


def _images(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.random((3, 240 - 16 * i, 320), np.float32) for i in range(count)]


def _detector(name: str, **kwargs):
    torch.manual_seed(0)
    builder = getattr(tv.models.detection, name)
    return builder(weights=None, weights_backbone=None, min_size=SIZE, max_size=SIZE, **kwargs).eval()


# Outputs after boxes, labels and scores, by detector family, with their tolerance: mask
# probabilities, keypoints in pixels (x, y, visibility) and keypoint logits.
EXTRA_OUTPUTS = {"mask": {"masks": 1e-3}, "keypoint": {"keypoints": 1e-4 * SIZE, "keypoints_scores": 1e-3}}
SECOND_POOLER = {"mask": "mask_roi_pool", "keypoint": "keypoint_roi_pool"}


def _family(name: str) -> str:
    return name.split("rcnn")[0]


def _outputs(name: str) -> list[str]:
    return ["boxes", "labels", "scores", *EXTRA_OUTPUTS.get(_family(name), {})]


def _export(model, name: str, images: list[np.ndarray], *, with_roi_ops: bool = False) -> onnx.ModelProto:
    inputs = [f"image{i}" for i in range(len(images))]
    args = ([torch.from_numpy(i) for i in images],)
    kwargs = dict(input_names=inputs, output_names=_outputs(name), dynamic_axes={i: [1, 2] for i in inputs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if with_roi_ops:
            return rt.export(model, args, dynamo=False, opset=17, **kwargs)
        buffer = io.BytesIO()
        torch.onnx.export(model, args, buffer, dynamo=False, opset_version=17, **kwargs)
        return onnx.load_from_string(buffer.getvalue())


CASES = {  # id: (torchvision builder, builder arguments, images)
    "fasterrcnn_resnet50_fpn": ("fasterrcnn_resnet50_fpn", {}, 1),
    "fasterrcnn_resnet50_fpn-batch2": ("fasterrcnn_resnet50_fpn", {}, 2),
    "maskrcnn_resnet50_fpn": ("maskrcnn_resnet50_fpn", {}, 1),
    # random weights score every class near 1/2: keep all (200) proposals' detections
    "keypointrcnn_resnet50_fpn": ("keypointrcnn_resnet50_fpn",
                                  {"box_score_thresh": 0.0, "rpn_post_nms_top_n_test": 200}, 1),
    # random weights score every class near 1/91: keep all detections (of fewer proposals: the
    # plain-PyTorch NMS used for tracing here is slow)
    "fasterrcnn_mobilenet_v3_large_fpn": ("fasterrcnn_mobilenet_v3_large_fpn",
                                          {"box_score_thresh": 0.0, "rpn_post_nms_top_n_test": 200}, 1),
    # no RPN proposal passes the threshold: the poolers see K = 0 RoIs
    "fasterrcnn_mobilenet_v3_large_fpn-no-proposals": ("fasterrcnn_mobilenet_v3_large_fpn",
                                                       {"rpn_score_thresh": 2.0}, 1),
}


@pytest.fixture(scope="module")
def exported():
    cache: dict = {}

    def get(case: str):
        if case not in cache:
            name, kwargs, count = CASES[case]
            images = _images(count)
            model = _export(_detector(name, **kwargs), name, images)
            report = convert.ConversionReport()
            cache[case] = (name, images, model, convert.to_roi_ops(model, report=report), report)
        return cache[case]
    return get


def _run(model, images, *, plugin: bool) -> list[np.ndarray]:
    feeds = {f"image{i}": image for i, image in enumerate(images)}
    if plugin:
        return roi_ops.make_session(model).run(None, feeds)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)


def assert_same_detections(actual: list[np.ndarray], expected: list[np.ndarray], name: str) -> None:
    """Same labels; boxes within 1e-4 of the image size and scores within 1e-4, detection by
    detection, and the detector's other outputs within EXTRA_OUTPUTS' tolerances. Detections
    whose scores tie to 1e-6 may come in either order, so each expected detection is paired
    with the nearest actual one of its label."""
    boxes, labels, scores = expected[:3]
    assert [a.shape for a in actual] == [e.shape for e in expected]
    used = set()
    for i in range(len(boxes)):
        candidates = [j for j in range(len(boxes)) if j not in used and actual[1][j] == labels[i]]
        assert candidates, f"no detection of label {labels[i]} left for detection {i}"
        j = min(candidates, key=lambda j: np.abs(actual[0][j] - boxes[i]).max())
        used.add(j)
        assert np.abs(actual[0][j] - boxes[i]).max() <= 1e-4 * SIZE, (i, actual[0][j], boxes[i])
        assert abs(actual[2][j] - scores[i]) <= 1e-4
        for k, tolerance in enumerate(EXTRA_OUTPUTS.get(_family(name), {}).values(), start=3):
            assert np.abs(actual[k][j] - expected[k][i]).max() <= tolerance, (k, i)


@pytest.mark.parametrize("case", list(CASES))
def test_converted_detector_fuses_each_pooler_and_keeps_the_detections(exported, case):
    name, images, model, converted, report = exported(case)
    poolers = 2 if _family(name) in SECOND_POOLER else 1
    assert len(report.fused) == poolers and not report.not_fused and not report.converted, report
    fused = [n for n in converted.graph.node if n.op_type == "MultiScaleRoIAlign"]
    assert len(fused) == poolers and not [n for n in converted.graph.node if n.op_type == "RoiAlign"]
    for pooler in ("box_roi_pool", SECOND_POOLER.get(_family(name)))[:poolers]:
        # What stays of the block: one MultiScaleRoIAlign and the few nodes that build its [K,5]
        # RoIs (torchvision's _convert_to_roi_format); the level mapper, the per-level selection
        # and RoiAlign nodes and the merge are gone. (torch 2.8's tracer shares the box sides of
        # the level mapper with the keypoint head: those nodes stay, read outside the block.)
        inside = [n for n in converted.graph.node if f"/{pooler}/" in n.name]
        needed = {i for n in converted.graph.node if f"/{pooler}/" not in n.name for i in n.input}
        for n in reversed(inside):  # what the rest of the model reads, and what computes it
            if needed.intersection(n.output):
                needed.update(n.input)
        left = {n.op_type for n in inside if not needed.intersection(n.output)}
        assert left <= {"MultiScaleRoIAlign", "Concat", "Slice", "Shape", "ConstantOfShape", "Constant"}, left
    assert len(converted.graph.node) <= len(model.graph.node) - 140 * poolers
    expected = _run(model, images, plugin=False)
    actual = _run(converted, images, plugin=True)
    if case.endswith("no-proposals"):
        assert actual[0].shape == (0, 4)
    else:
        assert len(actual[0]) > 0
    assert_same_detections(actual, expected, name)


@pytest.mark.parametrize("case", list(CASES))
def test_converted_detector_to_standard_and_back_is_the_same_graph(exported, case):
    """``to_standard`` unrolls each fused pooler into per-level standard nodes; converting that
    back fuses them again and restores the RoIs' layout, so every node (op, name, inputs, outputs,
    attributes) is the first conversion's: the same model, not just the same detections."""
    _, _, _, converted, _ = exported(case)
    standard = convert.to_standard(converted)
    assert len(standard.graph.node) > len(converted.graph.node)
    back = convert.to_roi_ops(standard)

    def nodes(m: onnx.ModelProto) -> list[tuple]:
        return [(n.domain, n.op_type, n.name, list(n.input), list(n.output),
                 [a.SerializeToString() for a in n.attribute]) for n in m.graph.node]

    assert nodes(back) == nodes(converted)


@pytest.mark.parametrize("case", ["fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"])
def test_converted_detector_with_bodies_runs_without_the_library_and_in_openvino(exported, case,
                                                                                onnxruntime_runs_overloads):
    """Function bodies on a real exported detector: onnxruntime without the library inlines them
    and gives the exported detections; OpenVINO reads the model with roi_ops.openvino_frontend and
    gives what it gives for torchvision's own export (its backbone differs from onnxruntime's by
    up to ~3e-4 in scores, so OpenVINO is compared with itself). Mask R-CNN's two poolers get two
    bodies told apart by their overload, which onnxruntime before 1.27 does not (the warning of
    attach_functions): there it runs inlined, as the warning offers."""
    from peers import openvino_run, static_inputs

    from roi_ops.functions import FunctionReport, attach_functions, inline_functions

    name, images, model, converted, _ = exported(case)
    report = FunctionReport()
    two_poolers = name.startswith("mask")
    with pytest.warns(UserWarning, match="told apart by their overload") if two_poolers else nullcontext():
        with_bodies = attach_functions(converted, report=report)
    assert len(report.attached) == (2 if two_poolers else 1) and not report.without, report
    in_onnxruntime = with_bodies if onnxruntime_runs_overloads or not report.warnings else inline_functions(converted)
    assert_same_detections(_run(in_onnxruntime, images, plugin=False), _run(model, images, plugin=False), name)
    feeds = {f"image{i}": image for i, image in enumerate(images)}

    def in_openvino(m: onnx.ModelProto, extensions: bool) -> list[np.ndarray]:
        return openvino_run(static_inputs(m, feeds).SerializeToString(), feeds, roi_ops_extensions=extensions)

    assert_same_detections(in_openvino(with_bodies, True), in_openvino(model, False), name)


def test_roi_ops_export_of_a_detector_with_replaced_poolers_gives_pytorchs_detections():
    model = rt.replace_torchvision_poolers(_detector("maskrcnn_resnet50_fpn"))
    images = _images(1, seed=1)
    with torch.no_grad():
        (reference,) = model([torch.from_numpy(images[0])])
    onnx_model = _export(model, "maskrcnn_resnet50_fpn", images, with_roi_ops=True)
    assert [n.op_type for n in onnx_model.graph.node if n.domain == "roi_ops"] == ["MultiScaleRoIAlign"] * 2
    assert not [n for n in onnx_model.graph.node if n.op_type == "RoiAlign"]
    expected = [reference[k].numpy() for k in ("boxes", "labels", "scores", "masks")]
    assert len(expected[0]) > 0
    assert_same_detections(_run(onnx_model, images, plugin=True), expected, "maskrcnn_resnet50_fpn")


def test_roi_ops_export_leaves_later_exports_of_torchvision_alone():
    """roi_ops.torch.export registers its symbolics for torchvision's ops for that export only."""
    class Pool(torch.nn.Module):
        def forward(self, x, rois):
            return tv.ops.roi_align(x, rois, (3, 3), 0.5, 2, True)

    x, rois = torch.rand(1, 4, 16, 16), torch.tensor([[0, 1.0, 2, 20, 24]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = rt.export(Pool(), (x, rois), dynamo=False, opset=17)
        buffer = io.BytesIO()
        torch.onnx.export(Pool(), (x, rois), buffer, dynamo=False, opset_version=17)
    assert [n.op_type for n in ours.graph.node if n.domain == "roi_ops"] == ["RoIAlign"]
    plain = onnx.load_from_string(buffer.getvalue())
    (node,) = [n for n in plain.graph.node if n.op_type == "RoiAlign"]
    assert node.domain == "" and {a.name: a.s for a in node.attribute}["coordinate_transformation_mode"] == b"half_pixel"
