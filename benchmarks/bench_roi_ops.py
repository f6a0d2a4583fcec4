#!/usr/bin/env python3
"""Times roi_ops RoIAlign / RoIPool against onnxruntime's built-in RoiAlign / MaxRoiPool and the
NumPy reference, in one process, on the workloads W1-W5 of the core issue.

Fixed seed; RoI sizes log-uniform in [16, 600] px, placed inside the image. Medians over
--repeat runs after --warmup runs; each configuration runs in its own session with
intra_op_num_threads set (1 and 2 by default). Prints a Markdown table; --out writes it too.

    python benchmarks/bench_roi_ops.py --out benchmarks/RESULTS.md
"""
from __future__ import annotations

import argparse
import platform
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

import roi_ops
from roi_ops import builders, reference
from roi_ops._timing import median_ms


@dataclass
class Workload:
    name: str
    shape: tuple[int, int, int, int]
    rois_per_image: int
    out: int
    sampling_ratio: int
    scale: float
    pool: bool = False  # also time RoIPool vs MaxRoiPool


WORKLOADS = [
    Workload("W1 box head", (1, 256, 200, 272), 1000, 7, 2, 1 / 4),
    Workload("W2 mask head", (1, 256, 200, 272), 100, 14, 2, 1 / 4),
    Workload("W3 batch", (4, 256, 50, 68), 512, 7, 0, 1 / 16),
    Workload("W4 Fast R-CNN", (1, 512, 38, 50), 300, 7, 0, 1 / 16, pool=True),
    Workload("W5 tiny", (1, 16, 32, 32), 8, 2, 0, 1.0),
]


def make_inputs(w: Workload, dtype, rng):
    n, c, h, wd = w.shape
    X = rng.standard_normal(w.shape).astype(dtype)
    img_h, img_w = h / w.scale, wd / w.scale
    k = n * w.rois_per_image
    size_h = np.exp(rng.uniform(np.log(16), np.log(600), k))
    size_w = np.exp(rng.uniform(np.log(16), np.log(600), k))
    size_h, size_w = np.minimum(size_h, img_h - 1), np.minimum(size_w, img_w - 1)
    y1 = rng.uniform(0, img_h - size_h)
    x1 = rng.uniform(0, img_w - size_w)
    boxes = np.stack([x1, y1, x1 + size_w, y1 + size_h], 1).astype(dtype)
    bidx = np.repeat(np.arange(n), w.rois_per_image).astype(np.int64)
    return X, boxes, bidx


def ort_type(dtype):
    return {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16}[dtype]


def model(node, dtype, opset=16, domain=True):
    t = ort_type(dtype)
    ins = [helper.make_tensor_value_info("X", t, None), helper.make_tensor_value_info("rois", t, None)]
    if len(node.input) == 3:
        ins.append(helper.make_tensor_value_info("bi", TensorProto.INT64, None))
    g = helper.make_graph([node], "bench", ins, [helper.make_tensor_value_info("Y", t, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    return builders.add_opset_import(m) if domain else m


def session(m, threads, plugin):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3  # the built-in RoiAlign's max-mode warning is not news here
    if plugin:
        so.register_custom_ops_library(roi_ops.get_library_path())
    return ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])


def run(args):
    rows = []
    for w in WORKLOADS:
        for dtype in (np.float32, np.float16):
            rng = np.random.default_rng(1234)
            X, boxes, bidx = make_inputs(w, dtype, rng)
            feeds = {"X": X, "rois": boxes, "bi": bidx}
            align_attrs = dict(output_height=w.out, output_width=w.out, spatial_scale=w.scale,
                               sampling_ratio=w.sampling_ratio)
            cases = [(
                "RoIAlign avg",
                builders.make_roi_align_node("X", "rois", "bi", "Y", **align_attrs),
                helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], mode="avg",
                                 coordinate_transformation_mode="output_half_pixel",
                                 output_height=w.out, output_width=w.out, spatial_scale=w.scale,
                                 sampling_ratio=w.sampling_ratio),
                lambda: reference.roi_align(X, boxes, bidx, **align_attrs),
            )]
            if w.pool:
                rois5 = np.concatenate([bidx[:, None].astype(dtype), boxes], 1)
                cases.append((
                    "RoIPool",
                    builders.make_roi_pool_node("X", "rois", None, "Y", output_height=w.out,
                                                output_width=w.out, spatial_scale=w.scale),
                    helper.make_node("MaxRoiPool", ["X", "rois"], ["Y"], pooled_shape=[w.out, w.out],
                                     spatial_scale=w.scale),
                    lambda: reference.roi_pool(X, rois5, output_height=w.out, output_width=w.out,
                                               spatial_scale=w.scale),
                ))
            for label, ours, builtin, ref in cases:
                f = dict(feeds)
                if label == "RoIPool":
                    f = {"X": X, "rois": rois5}
                elif len(ours.input) == 2:
                    f.pop("bi")
                ref_ms = None
                if args.reference and dtype == np.float32:
                    ref_ms = median_ms(ref, 0, 1)
                for threads in args.threads:
                    s_ours = session(model(ours, dtype), threads, True)
                    t_ours = median_ms(lambda: s_ours.run(None, f), args.warmup, args.repeat)
                    try:
                        s_builtin = session(model(builtin, dtype, opset=16 if label != "RoIPool" else 1,
                                                  domain=False), threads, False)
                        t_b = median_ms(lambda: s_builtin.run(None, f), args.warmup, args.repeat)
                    except Exception:  # noqa: BLE001 - MaxRoiPool has no float16 kernel in onnxruntime
                        t_b = None
                    rows.append((w.name, label, np.dtype(dtype).name, threads, t_ours, t_b, ref_ms))
                    print(fmt_row(rows[-1]), flush=True)
    return rows


def fmt_row(r):
    name, label, dt, th, ours, b, ref = r
    ratio = f"{b / ours:.2f}x" if b else "n/a"
    bs = f"{b:.2f}" if b else "no kernel"
    refs = f"{ref:.1f}" if ref else "-"
    return f"| {name} | {label} | {dt} | {th} | {ours:.3f} | {bs} | {ratio} | {refs} |"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--no-reference", dest="reference", action="store_false",
                   help="skip timing the NumPy reference (slow on W1)")
    p.add_argument("--out", help="write the Markdown table to this file")
    args = p.parse_args()
    header = [
        f"onnxruntime {ort.__version__}, roi-ops {roi_ops.__version__}, {platform.processor() or platform.machine()}, "
        f"{__import__('os').cpu_count()} logical CPUs; median of {args.repeat} runs after {args.warmup} warm-up runs.",
        "",
        "| workload | op | dtype | threads | roi_ops ms | built-in ms | speed-up vs built-in | NumPy reference ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(header))
    rows = run(args)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(header + [fmt_row(r) for r in rows]) + "\n")


if __name__ == "__main__":
    main()
