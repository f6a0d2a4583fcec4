"""The benchmark workloads, each as a roi_ops model and the onnxruntime baseline it is measured
against in the same process on the same inputs (fixed seed; RoI sizes log-uniform in 16-600 px,
inside the image):

  W1 box head      X [1,256,200,272], K=1000, 7x7, sampling_ratio 2, scale 1/4
  W2 mask head     same X, K=100, 14x14, sampling_ratio 2
  W3 batch         X [4,256,50,68], 512 RoIs per image, 7x7, sampling_ratio 0, scale 1/16
  W4 Fast R-CNN    X [1,512,38,50], K=300, 7x7, scale 1/16 (RoIAlign, and RoIPool vs MaxRoiPool)
  W5 tiny          X [1,16,32,32], K=8, 2x2, scale 1 (per-call overhead)
  W6 few RoIs      W1's map, K=3, 14x14, sampling_ratio 2 (a mask head on an image with 3 detections)
      RoIAlign vs RoiAlign-16 (avg, output_half_pixel); RoIPool vs MaxRoiPool-1.
      W6 also names every op of M1-C1 below on 3 RoIs (a few RoIs on a large map, per op).
  M1 MultiScaleRoIAlign  W1's RoIs over FPN maps [1,256,200,272] ... [1,256,25,34], 7x7, vs the
                         standard-op graph exporters produce (per level NonZero/Gather/RoiAlign/ScatterND)
  M2 MultiScaleRoIAlignRotated  M1's maps, W1's RoIs with random angles (mmrotate's levels: finest
                         scale 56), vs the same per-level graph pooling with roi_ops.RoIAlignRotated
  P1 PSRoIAlign    X [1,21*49,38,63], 300 RoIs, 7x7, vs the standard-op model (RoiAlign + Gather)
  P2 PSRoIPool     same input, vs P1's standard-op model (no standard op pools by mean; a proxy)
  R1 RoIAlignRotated  W1's map and RoIs with random angles vs RoiAlign on the unrotated boxes (proxy)
  C1 CropAndResize    W1's map and RoIs, 14x14 bilinear, vs RoiAlign 14x14 with one sample per bin (proxy)
  F1, F2 fallback  W1's RoIAlign and M1's MultiScaleRoIAlign models with function bodies
                   (roi_ops.functions), run by onnxruntime without the library (the body inlined)
                   vs with it (the kernel): what the library buys over the fallback
  O1-O3, O4 peers  W1-W3's RoiAlign model run by OpenVINO's CPU plugin (float32, same thread count),
                   and M1's RoIs through OpenVINO's ExperimentalDetectronROIFeatureExtractor against
                   MultiScaleRoIAlign with its level rule (when openvino is installed)
  O5, O6 peers     C1's crops and W6's three crops through TensorFlow's tf.image.crop_and_resize
                   (when tensorflow is installed; timed in a child process, tensorflow_peer.py)
  D1 detector      models/faster_rcnn_detector.onnx vs its .standard.onnx form, on the demo image
  T1 torchvision   torchvision's Faster R-CNN R50-FPN export at 800x800 after `roi-ops convert` vs as
                   exported: the whole model and its pooler block (torchvision_cases.py)

`quick=True` shrinks every workload (channels / 16, RoIs / 10) for a smoke test of the command.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import onnx
from onnx import TensorProto, helper

from .. import builders
from .._files import FileProblem, load_model
from ..graph import fed_inputs
from ..standard_models import NodeEmitter, multi_scale_roi_align_model, per_level_nodes, ps_roi_align_model

FPN = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
FEW = 3  # RoIs of the W6 workloads: an image with three detections
ONNX_TYPE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16}


@dataclass
class Case:
    workload: str
    op: str
    dtype: str
    model: onnx.ModelProto
    feeds: dict
    baseline: str
    baseline_model: onnx.ModelProto
    baseline_feeds: dict
    baseline_needs_plugin: bool = False
    same_numbers: bool = True  # False: the baseline is a proxy that computes something else
    notes: list = field(default_factory=list)
    # How far the outputs are apart (default: the largest absolute difference of any output).
    difference: Optional[Callable[[list, list], float]] = None
    # Time roi_ops and baseline in alternation (runs of seconds, where the machine's speed drifts).
    interleaved: bool = False
    # Who runs the baseline model: "onnxruntime" or a peer that reads ONNX ("openvino").
    runtime: str = "onnxruntime"


def _boxes(rng, k, img_h, img_w, dtype=np.float32):
    size_h = np.minimum(np.exp(rng.uniform(np.log(16), np.log(600), k)), img_h - 1)
    size_w = np.minimum(np.exp(rng.uniform(np.log(16), np.log(600), k)), img_w - 1)
    y1, x1 = rng.uniform(0, img_h - size_h), rng.uniform(0, img_w - size_w)
    return np.stack([x1, y1, x1 + size_w, y1 + size_h], 1).astype(dtype)


def _model(node, inputs, dtype, opset=16):
    t = ONNX_TYPE[np.dtype(dtype)]
    ins = [helper.make_tensor_value_info(n, TensorProto.INT64 if n in ("bi", "batch_indices") else t, None)
           for n in inputs]
    out = [helper.make_tensor_value_info("Y", t, None)]
    if node.domain:
        return builders.make_model([node], ins, out, opset=opset)
    graph = helper.make_graph([node], "baseline", ins, out)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def _roi_align_node(out, scale, sampling_ratio):
    return helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], mode="avg", output_height=out,
                            output_width=out, spatial_scale=scale, sampling_ratio=sampling_ratio,
                            coordinate_transformation_mode="output_half_pixel")


def roi_align_pool_cases(dtype, quick: bool = False):
    """W1-W5: RoIAlign vs RoiAlign, RoIPool vs MaxRoiPool."""
    c, k = (16, 10) if quick else (1, 1)
    workloads = [  # name, (N, C, H, W), RoIs per image, output, sampling_ratio, scale, RoIPool too
        ("W1 box head", (1, 256 // c, 200, 272), 1000 // k, 7, 2, 1 / 4, False),
        ("W2 mask head", (1, 256 // c, 200, 272), 100 // k, 14, 2, 1 / 4, False),
        ("W3 batch", (4, 256 // c, 50, 68), 512 // k, 7, 0, 1 / 16, False),
        ("W4 Fast R-CNN", (1, 512 // c, 38, 50), 300 // k, 7, 0, 1 / 16, True),
        ("W5 tiny", (1, 16, 32, 32), 8, 2, 0, 1.0, False),
        ("W6 few RoIs", (1, 256 // c, 200, 272), FEW, 14, 2, 1 / 4, True),
    ]
    name = np.dtype(dtype).name
    for workload, shape, per_image, out, sr, scale, pool in workloads:
        rng = np.random.default_rng(1234)
        n, _, h, w = shape
        X = rng.standard_normal(shape).astype(dtype)
        boxes = _boxes(rng, n * per_image, h / scale, w / scale, dtype)
        bi = np.repeat(np.arange(n), per_image).astype(np.int64)
        feeds = {"X": X, "rois": boxes, "bi": bi}
        node = builders.make_roi_align_node("X", "rois", "bi", "Y", output_height=out, output_width=out,
                                            spatial_scale=scale, sampling_ratio=sr)
        yield Case(workload, "RoIAlign", name, _model(node, feeds, dtype), feeds, "RoiAlign",
                   _model(_roi_align_node(out, scale, sr), feeds, dtype), feeds)
        if pool:
            rois5 = {"X": X, "rois": np.concatenate([bi[:, None].astype(dtype), boxes], 1)}
            node = builders.make_roi_pool_node("X", "rois", None, "Y", output_height=out, output_width=out,
                                               spatial_scale=scale)
            builtin = helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=[out, out],
                                       spatial_scale=scale)
            yield Case(workload, "RoIPool", name, _model(node, rois5, dtype), rois5, "MaxRoiPool",
                       _model(builtin, rois5, dtype, opset=1), rois5)


def op_set_cases(quick: bool = False, few: bool = False):
    """M1, M2, P1, P2, R1, C1 (float32); with `few`, the same ops with 3 RoIs each, named W6."""
    c, k = (16, 10) if quick else (1, 1)
    rng = np.random.default_rng(1234)
    maps = [rng.standard_normal((1, 256 // c, int(200 * 4 * s), int(272 * 4 * s))).astype(np.float32) for s in FPN]
    boxes = _boxes(rng, FEW if few else 1000 // k, 800, 1088)

    def name(workload):
        return "W6 few RoIs" if few else workload
    bi = np.zeros(len(boxes), np.int64)
    names = [f"X_{i}" for i in range(4)]
    node = builders.make_multi_scale_roi_align_node("rois", "batch_indices", names, "Y", spatial_scales=FPN,
                                                    output_height=7, output_width=7, sampling_ratio=2)
    feeds = {"rois": boxes, "batch_indices": bi, **dict(zip(names, maps))}
    yield Case(name("M1 FPN box head"), "MultiScaleRoIAlign", "float32", _model(node, feeds, np.float32), feeds,
               "standard-op graph", multi_scale_roi_align_model(FPN, output_height=7, output_width=7,
                                                                 sampling_ratio=2), feeds)

    yield _multi_scale_rotated_case(rng, maps, boxes, bi, name("M2 rotated FPN head"))

    X = rng.standard_normal((1, 21 * 49 // (7 if quick else 1), 38, 63)).astype(np.float32)
    r = _boxes(rng, FEW if few else 300 // k, 608, 1008)
    feeds = {"X": X, "rois": r, "batch_indices": np.zeros(len(r), np.int64)}
    std = ps_roi_align_model(X.shape[1], output_height=7, output_width=7, spatial_scale=1 / 16, sampling_ratio=2)
    node = builders.make_ps_roi_align_node("X", "rois", "batch_indices", "Y", output_height=7, output_width=7,
                                           spatial_scale=1 / 16, sampling_ratio=2)
    yield Case(name("P1 R-FCN head"), "PSRoIAlign", "float32", _model(node, feeds, np.float32), feeds,
               "standard-op graph", std, feeds)
    node = builders.make_ps_roi_pool_node("X", "rois", "batch_indices", "Y", output_height=7, output_width=7,
                                          spatial_scale=1 / 16)
    yield Case(name("P2 R-FCN head"), "PSRoIPool", "float32", _model(node, feeds, np.float32), feeds,
               "standard-op PSRoIAlign graph", std, feeds, same_numbers=False)

    X = maps[0]
    wh = boxes[:, 2:] - boxes[:, :2]
    rotated = np.concatenate([boxes[:, :2] + wh / 2, wh, rng.uniform(-90, 90, (len(boxes), 1))], 1)
    feeds = {"X": X, "rois": rotated.astype(np.float32), "bi": bi}
    node = builders.make_roi_align_rotated_node("X", "rois", "bi", "Y", output_height=7, output_width=7,
                                                spatial_scale=1 / 4, sampling_ratio=2)
    base_feeds = {"X": X, "rois": boxes, "bi": bi}
    yield Case(name("R1 rotated box head"), "RoIAlignRotated", "float32", _model(node, feeds, np.float32), feeds,
               "RoiAlign, unrotated boxes", _model(_roi_align_node(7, 1 / 4, 2), base_feeds, np.float32),
               base_feeds, same_numbers=False)

    norm = (boxes / np.array([1088, 800, 1088, 800], np.float32))[:, [1, 0, 3, 2]]  # (y1, x1, y2, x2)
    feeds = {"X": X, "boxes": norm, "bi": bi}
    node = builders.make_crop_and_resize_node("X", "boxes", "bi", "Y", crop_height=14, crop_width=14)
    yield Case(name("C1 crops 14x14"), "CropAndResize", "float32", _model(node, feeds, np.float32), feeds,
               "RoiAlign 14x14, 1 sample", _model(_roi_align_node(14, 1 / 4, 1), base_feeds, np.float32),
               base_feeds, same_numbers=False)


MMROTATE = dict(output_height=7, output_width=7, sampling_ratio=2, spatial_scales=FPN, canonical_scale=56.0,
                canonical_level=2, eps=1e-6, eps_in_log=1, angle_unit="radians")


def _multi_scale_rotated_case(rng, maps, boxes, bi, workload):
    """M2: MultiScaleRoIAlignRotated vs the per-level graph an exporter would write around
    roi_ops.RoIAlignRotated (levels with standard ops, NonZero/Gather/ScatterND per map)."""
    wh = boxes[:, 2:] - boxes[:, :2]
    rois = np.concatenate([boxes[:, :2] + wh / 2, wh, rng.uniform(-np.pi, np.pi, (len(boxes), 1))], 1)
    names = [f"X_{i}" for i in range(len(maps))]
    feeds = {"rois": rois.astype(np.float32), "batch_indices": bi, **dict(zip(names, maps))}
    node = builders.make_multi_scale_roi_align_rotated_node("rois", "batch_indices", names, "Y", **MMROTATE)
    e = NodeEmitter("m2_")
    cols = [e.name(c) for c in ("cx", "cy", "w", "h", "angle")]
    e.nodes.append(helper.make_node("Split", ["rois", e.const([1] * 5, np.int64)], cols, axis=1, name=e.name("split")))
    pool_attrs = {k: MMROTATE[k] for k in ("output_height", "output_width", "sampling_ratio", "angle_unit")}

    def pool(x, level_rois, level_bi, scale):
        out = e.name(f"pooled_{len(e.nodes)}")
        e.nodes.append(builders.make_roi_align_rotated_node(x, level_rois, level_bi, out, spatial_scale=scale,
                                                            **pool_attrs))
        return out

    per_level_nodes(e, e.op("Mul", [cols[2], cols[3]]), "rois", "rois", "batch_indices", names, "Y", pool,
                    {**MMROTATE, "spatial_scales": FPN})
    model = _model(node, feeds, np.float32)
    baseline = builders.make_model(e.nodes, model.graph.input, model.graph.output, opset=16)
    return Case(workload, "MultiScaleRoIAlignRotated", "float32", _model(node, feeds, np.float32), feeds,
                "per-level RoIAlignRotated graph", baseline, feeds, baseline_needs_plugin=True)


def function_body_cases(quick: bool = False):
    """F1, F2: the kernel vs the model's own function body in onnxruntime without the library."""
    from ..functions import attach_functions

    w1 = next(roi_align_pool_cases(np.float32, quick))
    m1 = next(op_set_cases(quick))
    for name, case in (("F1 W1 fallback", w1), ("F2 M1 fallback", m1)):
        with_bodies = attach_functions(case.model)
        yield Case(name, case.op, "float32", with_bodies, case.feeds, "its function body, no library", with_bodies,
                   case.feeds)


def peer_cases(quick: bool = False):
    """O1-O4: the same ONNX models run by OpenVINO (the caller checks it is installed), same
    numbers as roi_ops."""
    for i, case in enumerate(list(roi_align_pool_cases(np.float32, quick))[:3]):
        yield Case(f"O{i + 1} {case.workload.split(' ', 1)[1]}", case.op, "float32", case.model, case.feeds,
                   "OpenVINO ROIAlign", case.baseline_model, case.baseline_feeds, runtime="openvino")
    m1 = next(op_set_cases(quick))
    names = [n for n in m1.feeds if n.startswith("X_")]
    # OpenVINO's level rule (docs/foreign.md): canonical 224 at map index 2, eps 1e-6 inside the log.
    node = builders.make_multi_scale_roi_align_node("rois", "batch_indices", names, "Y", spatial_scales=FPN,
                                                    output_height=7, output_width=7, sampling_ratio=2,
                                                    canonical_scale=224.0, canonical_level=4, eps_in_log=1)
    ov_node = helper.make_node("ExperimentalDetectronROIFeatureExtractor", ["rois", *names], ["Y"],
                               domain="org.openvinotoolkit", output_size=7, sampling_ratio=2,
                               pyramid_scales=[4, 8, 16, 32], aligned=0)
    t = TensorProto.FLOAT
    graph = helper.make_graph([ov_node], "edrfe", [helper.make_tensor_value_info(n, t, None) for n in ["rois", *names]],
                              [helper.make_tensor_value_info("Y", t, None)])
    ov_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16),
                                                       helper.make_opsetid("org.openvinotoolkit", 1)], ir_version=10)
    ov_feeds = {k: v for k, v in m1.feeds.items() if k != "batch_indices"}
    yield Case("O4 FPN box head", "MultiScaleRoIAlign", "float32", _model(node, m1.feeds, np.float32), m1.feeds,
               "OpenVINO ExperimentalDetectronROIFeatureExtractor", ov_model, ov_feeds, runtime="openvino")


def tensorflow_cases(quick: bool = False):
    """O5, O6: C1's crops and W6's three crops against tf.image.crop_and_resize (the caller checks
    that TensorFlow is installed; tensorflow_peer.py runs it in a child process), same numbers."""
    from .tensorflow_peer import version

    crops = [c for c in [*op_set_cases(quick), *op_set_cases(quick, few=True)] if c.op == "CropAndResize"]
    label = " ".join(filter(None, ("TensorFlow", version(), "crop_and_resize")))
    for name, case in zip(("O5 crops 14x14", "O6 few RoIs"), crops):
        yield Case(name, case.op, "float32", case.model, case.feeds, label, case.model, case.feeds,
                   runtime="tensorflow")


def detector_cases(models_dir: str):
    """D1: the demo's detector with the plugin vs its standard-op form (pre-processed demo image)."""
    plugin = os.path.join(models_dir, "faster_rcnn_detector.onnx")
    standard = os.path.join(models_dir, "faster_rcnn_detector.standard.onnx")
    if not (os.path.isfile(plugin) and os.path.isfile(standard)):
        return
    from ..sample_image import scene

    image = scene()
    pixels = np.zeros((1, 3, 256, 256), np.float32)
    # The demo's letterbox without the resampling: the scene's top-left 256x240 pixels, centred.
    pixels[0, :, 8:248] = image[:, :256].transpose(2, 0, 1) / 255.0
    feeds = {"image": pixels}
    models = [load_model(plugin), load_model(standard)]
    for path, model in zip((plugin, standard), models):
        inputs = [i.name for i in fed_inputs(model.graph)]
        if inputs != list(feeds):  # refused now, not after minutes of the other workloads
            raise FileProblem(f"{path}: not the demo's detector (D1 feeds one input, 'image' [1, 3, 256, 256]; this "
                              f"model takes {inputs})")
    yield Case("D1 detector", "faster_rcnn_detector", "float32", models[0], feeds, "standard-op model", models[1],
               feeds)


def all_cases(*, dtypes=("float32", "float16"), quick: bool = False, models_dir: str | None = "models",
              torchvision_size: int | None = None, cache_dir: str = ".", peers: bool = True,
              tensorflow: bool = False):
    for dtype in dtypes:
        yield from roi_align_pool_cases(np.dtype(dtype).type, quick)
    if "float32" in dtypes:
        yield from op_set_cases(quick)
        yield from op_set_cases(quick, few=True)
        yield from function_body_cases(quick)
        if peers:
            yield from peer_cases(quick)
        if tensorflow:
            yield from tensorflow_cases(quick)
        if models_dir:
            yield from detector_cases(models_dir)
        if torchvision_size:
            from .torchvision_cases import torchvision_cases

            yield from torchvision_cases(torchvision_size, cache_dir)
