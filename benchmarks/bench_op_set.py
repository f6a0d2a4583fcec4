#!/usr/bin/env python3
"""Times MultiScaleRoIAlign, PSRoIAlign, PSRoIPool, RoIAlignRotated and CropAndResize, each
against the nearest onnxruntime baseline that runs in the same process on the same inputs:

  M1 MultiScaleRoIAlign: W1's RoIs (1000 boxes, 16-600 px, image 800x1088) over the FPN maps
     [1,256,200,272] ... [1,256,25,34] (scales 1/4 ... 1/32), 7x7, sampling_ratio 2, against the
     standard-op model exporters produce (roi_ops.standard_models: per level NonZero / Gather /
     RoiAlign / ScatterND).
  P1 PSRoIAlign: R-FCN head X [1, 21*49, 38, 63] (scale 1/16), 300 RoIs, 7x7, sampling_ratio 2,
     against the standard-op model (RoiAlign half_pixel of all channels + Gather).
  P2 PSRoIPool: same input, against P1's standard-op model (no standard op pools by mean).
  R1 RoIAlignRotated: X [1,256,200,272], 1000 boxes with random angles, 7x7, sampling_ratio 2,
     against onnxruntime's RoiAlign on the same boxes without rotation (the same number of samples).
  C1 CropAndResize: X [1,256,200,272], 1000 boxes, 14x14 bilinear, against onnxruntime's RoiAlign
     with sampling_ratio 1 and 14x14 bins on the same boxes (one bilinear sample per output).

Medians over --repeat runs after --warmup runs; every session has intra_op_num_threads set.

    python benchmarks/bench_op_set.py --out /tmp/op_set_table.md
"""
from __future__ import annotations

import argparse
import os
import platform

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

import roi_ops
from roi_ops import builders
from roi_ops._timing import median_ms
from roi_ops.standard_models import multi_scale_roi_align_model, ps_roi_align_model

FPN = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
T = TensorProto.FLOAT


def session(model, threads, plugin=True):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    if plugin:
        so.register_custom_ops_library(roi_ops.get_library_path())
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def one_node(node, inputs, opset=16):
    ins = [helper.make_tensor_value_info(n, TensorProto.INT64 if n in ("bi", "batch_indices") else T, None)
           for n in inputs]
    return builders.make_model([node], ins, [helper.make_tensor_value_info("Y", T, None)], opset=opset)


def boxes_in(rng, k, img_h, img_w, lo=16, hi=600):
    size_h = np.minimum(np.exp(rng.uniform(np.log(lo), np.log(hi), k)), img_h - 1)
    size_w = np.minimum(np.exp(rng.uniform(np.log(lo), np.log(hi), k)), img_w - 1)
    y1, x1 = rng.uniform(0, img_h - size_h), rng.uniform(0, img_w - size_w)
    return np.stack([x1, y1, x1 + size_w, y1 + size_h], 1).astype(np.float32)


def roi_align_node(out, scale, sampling_ratio, inputs=("X", "rois", "bi")):
    return helper.make_node("RoiAlign", list(inputs), ["Y"], mode="avg", output_height=out, output_width=out,
                            spatial_scale=scale, sampling_ratio=sampling_ratio,
                            coordinate_transformation_mode="output_half_pixel")


def cases(rng):
    """(name, ours: (model, feeds), baseline: (label, model, feeds))"""
    maps = [rng.standard_normal((1, 256, int(200 * 4 * s), int(272 * 4 * s))).astype(np.float32) for s in FPN]
    boxes = boxes_in(rng, 1000, 800, 1088)
    bi = np.zeros(1000, np.int64)
    names = [f"X_{i}" for i in range(4)]
    node = builders.make_multi_scale_roi_align_node("rois", "batch_indices", names, "Y", spatial_scales=FPN,
                                                    output_height=7, output_width=7, sampling_ratio=2)
    feeds = {"rois": boxes, "batch_indices": bi, **dict(zip(names, maps))}
    yield ("M1 MultiScaleRoIAlign", (one_node(node, ["rois", "batch_indices", *names]), feeds),
           ("standard-op model", multi_scale_roi_align_model(FPN, output_height=7, output_width=7, sampling_ratio=2),
            feeds, False))

    X = rng.standard_normal((1, 21 * 49, 38, 63)).astype(np.float32)
    r = boxes_in(rng, 300, 608, 1008)
    b3 = np.zeros(300, np.int64)
    feeds = {"X": X, "rois": r, "batch_indices": b3}
    std = ("standard-op PSRoIAlign", ps_roi_align_model(X.shape[1], output_height=7, output_width=7,
                                                           spatial_scale=1 / 16, sampling_ratio=2), feeds, False)
    node = builders.make_ps_roi_align_node("X", "rois", "batch_indices", "Y", output_height=7, output_width=7,
                                           spatial_scale=1 / 16, sampling_ratio=2)
    yield "P1 PSRoIAlign", (one_node(node, ["X", "rois", "batch_indices"]), feeds), std
    node = builders.make_ps_roi_pool_node("X", "rois", "batch_indices", "Y", output_height=7, output_width=7,
                                          spatial_scale=1 / 16)
    yield "P2 PSRoIPool", (one_node(node, ["X", "rois", "batch_indices"]), feeds), std

    X = maps[0]
    wh = boxes[:, 2:] - boxes[:, :2]
    rotated = np.concatenate([boxes[:, :2] + wh / 2, wh, rng.uniform(-90, 90, (1000, 1))], 1).astype(np.float32)
    node = builders.make_roi_align_rotated_node("X", "rois", "bi", "Y", output_height=7, output_width=7,
                                                spatial_scale=1 / 4, sampling_ratio=2)
    builtin = one_node(roi_align_node(7, 1 / 4, 2), ["X", "rois", "bi"])
    yield ("R1 RoIAlignRotated", (one_node(node, ["X", "rois", "bi"]), {"X": X, "rois": rotated, "bi": bi}),
           ("RoiAlign, unrotated boxes", builtin, {"X": X, "rois": boxes, "bi": bi}, False))

    norm = (boxes / np.array([1088, 800, 1088, 800], np.float32))[:, [1, 0, 3, 2]]  # (y1, x1, y2, x2)
    node = builders.make_crop_and_resize_node("X", "boxes", "bi", "Y", crop_height=14, crop_width=14)
    builtin = one_node(roi_align_node(14, 1 / 4, 1), ["X", "rois", "bi"])
    yield ("C1 CropAndResize", (one_node(node, ["X", "boxes", "bi"]), {"X": X, "boxes": norm, "bi": bi}),
           ("RoiAlign 14x14, 1 sample", builtin, {"X": X, "rois": boxes, "bi": bi}, False))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--out", help="write the Markdown table to this file")
    args = p.parse_args()
    lines = [
        f"onnxruntime {ort.__version__}, roi-ops {roi_ops.__version__}, {platform.machine()}, {os.cpu_count()} "
        f"logical CPUs; float32; median of {args.repeat} runs after {args.warmup} warm-up runs.",
        "",
        "| workload | threads | roi_ops ms | baseline | baseline ms | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for name, (ours, feeds), (label, base, base_feeds, plugin) in cases(np.random.default_rng(1234)):
        for threads in args.threads:
            s = session(ours, threads)
            b = session(base, threads, plugin)
            t_ours = median_ms(lambda: s.run(None, feeds), args.warmup, args.repeat)
            t_base = median_ms(lambda: b.run(None, base_feeds), args.warmup, args.repeat)
            lines.append(f"| {name} | {threads} | {t_ours:.2f} | {label} | {t_base:.2f} | {t_base / t_ours:.2f}x |")
            print(lines[-1], flush=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
