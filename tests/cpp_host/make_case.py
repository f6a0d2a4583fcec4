"""Writes the C++ host's inputs into a folder: model.onnx (every roi_ops op, inputs baked in as
initializers, one output per op), expected.bin (the NumPy reference's outputs) and bad_model.onnx
(a RoIAlign node with an invalid attribute).

    python tests/cpp_host/make_case.py OUT_DIR
"""
from __future__ import annotations

import os
import struct
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from roi_ops import builders, reference

F = TensorProto.FLOAT


def case(seed: int = 7, *, as_inputs: bool = False):
    """Returns (model, bad_model, expected outputs in output order, feeds). With as_inputs the
    data are graph inputs (fed from `feeds`) instead of initializers."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, 18, 12, 16)).astype(np.float32)  # 18 = 2 * 3 * 3 for the PS ops
    boxes = np.array([[2, 3, 30, 40], [10, 5, 60, 45], [0, 0, 64, 48], [5, 5, 5.5, 6], [np.nan, 1, 2, 3]], np.float32)
    bi = np.array([0, 1, 1, 0, 1], np.int64)
    rois5 = np.concatenate([bi[:, None].astype(np.float32), boxes], 1)
    wh = boxes[:, 2:] - boxes[:, :2]
    rotated = np.concatenate([boxes[:, :2] + wh / 2, wh, np.array([[0], [30], [-45], [90], [10]])], 1).astype(np.float32)
    maps = [rng.standard_normal((2, 18, 48 >> i, 64 >> i)).astype(np.float32) for i in range(3)]
    crops = np.array([[0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], [-0.2, -0.1, 1.2, 1.1]], np.float32)
    crop_idx = np.array([0, 1, 0], np.int32)
    inits = {"X": X, "boxes": boxes, "bi": bi, "rois5": rois5, "rotated": rotated, "crops": crops,
             "crop_idx": crop_idx, **{f"M{i}": m for i, m in enumerate(maps)}}
    common = dict(output_height=3, output_width=3, spatial_scale=0.25)
    nodes = [
        builders.make_roi_align_node("X", "boxes", "bi", "roi_align", sampling_ratio=2, aligned=1, **common),
        builders.make_roi_pool_node("X", "rois5", None, "roi_pool", **common),
        builders.make_ps_roi_align_node("X", "boxes", "bi", "ps_roi_align", sampling_ratio=0, **common),
        builders.make_ps_roi_pool_node("X", "rois5", None, "ps_roi_pool", **common),
        builders.make_roi_align_rotated_node("X", "rotated", "bi", "roi_align_rotated", sampling_ratio=2, **common),
        builders.make_multi_scale_roi_align_node("boxes", "bi", ["M0", "M1", "M2"], "multi_scale_roi_align",
                                                 spatial_scales=[0.25, 0.125, 0.0625], output_height=3,
                                                 output_width=3, sampling_ratio=2, canonical_scale=32),
        builders.make_multi_scale_roi_align_rotated_node("rotated", "bi", ["M0", "M1", "M2"],
                                                         "multi_scale_roi_align_rotated",
                                                         spatial_scales=[0.25, 0.125, 0.0625], output_height=3,
                                                         output_width=3, sampling_ratio=2, canonical_scale=32),
        builders.make_crop_and_resize_node("X", "crops", "crop_idx", "crop_and_resize", crop_height=4, crop_width=5),
    ]
    expected = [
        reference.roi_align(X, boxes, bi, sampling_ratio=2, aligned=1, **common),
        reference.roi_pool(X, rois5, **common),
        reference.ps_roi_align(X, boxes, bi, sampling_ratio=0, **common),
        reference.ps_roi_pool(X, rois5, **common),
        reference.roi_align_rotated(X, rotated, bi, sampling_ratio=2, **common),
        reference.multi_scale_roi_align(boxes, bi, *maps, spatial_scales=[0.25, 0.125, 0.0625], output_height=3,
                                        output_width=3, sampling_ratio=2, canonical_scale=32),
        reference.multi_scale_roi_align_rotated(rotated, bi, *maps, spatial_scales=[0.25, 0.125, 0.0625],
                                                output_height=3, output_width=3, sampling_ratio=2, canonical_scale=32),
        reference.crop_and_resize(X, crops, crop_idx, crop_height=4, crop_width=5),
    ]
    outputs = [helper.make_tensor_value_info(n.output[0], F, None) for n in nodes]
    if as_inputs:
        inputs = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
                  for k, v in inits.items()]
        graph = helper.make_graph(nodes, "every_op", inputs, outputs)
    else:
        initializers = [numpy_helper.from_array(v, k) for k, v in inits.items()]
        graph = helper.make_graph(nodes, "every_op", [], outputs, initializer=initializers)
    model = builders.add_opset_import(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                                        ir_version=10))
    bad = helper.make_node("RoIAlign", ["X", "boxes", "bi"], ["Y"], domain="roi_ops", output_height=0)
    bad_graph = helper.make_graph([bad], "bad", [], [helper.make_tensor_value_info("Y", F, None)],
                                  initializer=[numpy_helper.from_array(inits[k], k) for k in ("X", "boxes", "bi")])
    bad_model = builders.add_opset_import(helper.make_model(bad_graph, opset_imports=[helper.make_opsetid("", 17)],
                                                            ir_version=10))
    return model, bad_model, expected, (inits if as_inputs else {})


def write(out_dir: str) -> None:
    model, bad_model, expected, _ = case()
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    with open(os.path.join(out_dir, "bad_model.onnx"), "wb") as f:
        f.write(bad_model.SerializeToString())
    with open(os.path.join(out_dir, "expected.bin"), "wb") as f:
        for e in expected:
            f.write(struct.pack("<Q", e.size))
            f.write(e.astype("<f4").tobytes())


if __name__ == "__main__":
    write(sys.argv[1])
