"""The main demo: a small ONNX model with RoIAlign and RoIPool built through roi_ops.builders, run
in onnxruntime with the plugin, and compared with the NumPy reference and with onnxruntime's
built-in RoiAlign / MaxRoiPool on the same built-in data. Prints outputs, differences and timings."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

from . import builders, get_library_path, make_session, reference
from ._timing import median_ms


def _built_in_data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((2, 64, 50, 68)).astype(np.float32)  # a stride-16 map of an 800x1088 image
    k = 128
    size = np.exp(rng.uniform(np.log(32), np.log(600), (k, 2)))
    y1 = rng.uniform(0, 800 - size[:, 0].clip(max=799))
    x1 = rng.uniform(0, 1088 - size[:, 1].clip(max=1087))
    boxes = np.stack([x1, y1, x1 + size[:, 1], y1 + size[:, 0]], 1).astype(np.float32)
    bidx = (np.arange(k) % 2).astype(np.int64)
    return X, boxes, bidx


def main() -> int:
    ort.set_default_logger_severity(3)  # the built-in RoiAlign warns about its own max mode
    X, boxes, bidx = _built_in_data()
    rois5 = np.concatenate([bidx[:, None].astype(np.float32), boxes], 1)
    attrs = dict(output_height=7, output_width=7, spatial_scale=1 / 16, sampling_ratio=2)
    f32 = TensorProto.FLOAT
    nodes = [
        builders.make_roi_align_node("X", "boxes", "batch_indices", "aligned_avg", **attrs),
        builders.make_roi_align_node("X", "boxes", "batch_indices", "aligned_onnx_max", mode="onnx_max", **attrs),
        builders.make_roi_pool_node("X", "rois5", None, "pooled", output_height=7, output_width=7,
                                    spatial_scale=1 / 16),
    ]
    ins = [helper.make_tensor_value_info("X", f32, list(X.shape)),
           helper.make_tensor_value_info("boxes", f32, list(boxes.shape)),
           helper.make_tensor_value_info("batch_indices", TensorProto.INT64, list(bidx.shape)),
           helper.make_tensor_value_info("rois5", f32, list(rois5.shape))]
    outs = [helper.make_tensor_value_info(n, f32, None) for n in ("aligned_avg", "aligned_onnx_max", "pooled")]
    model = builders.make_model(nodes, ins, outs, name="roi_ops_demo")
    sess = make_session(model, intra_op_num_threads=1)
    feeds = {"X": X, "boxes": boxes, "batch_indices": bidx, "rois5": rois5}
    avg, omax, pooled = sess.run(None, feeds)

    # onnxruntime's built-in ops on the same inputs.
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    std_nodes = [
        helper.make_node("RoiAlign", ["X", "boxes", "batch_indices"], ["aligned_avg"], mode="avg",
                         coordinate_transformation_mode="output_half_pixel", **attrs),
        helper.make_node("RoiAlign", ["X", "boxes", "batch_indices"], ["aligned_onnx_max"], mode="max",
                         coordinate_transformation_mode="output_half_pixel", **attrs),
    ]
    std = ort.InferenceSession(helper.make_model(
        helper.make_graph(std_nodes, "std", ins[:3], outs[:2]), opset_imports=[helper.make_opsetid("", 16)],
        ir_version=10).SerializeToString(), so, providers=["CPUExecutionProvider"])
    pool_model = helper.make_model(helper.make_graph(
        [helper.make_node("MaxRoiPool", ["X", "rois5"], ["pooled"], pooled_shape=[7, 7], spatial_scale=1 / 16)],
        "pool", [ins[0], ins[3]], outs[2:]), opset_imports=[helper.make_opsetid("", 1)], ir_version=10)
    std_pool = ort.InferenceSession(pool_model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    std_feeds = {k: feeds[k] for k in ("X", "boxes", "batch_indices")}
    b_avg, b_omax = std.run(None, std_feeds)
    (b_pool,) = std_pool.run(None, {"X": X, "rois5": rois5})

    ref_avg = reference.roi_align(X.astype(np.float64), boxes, bidx, **attrs)
    ref_omax = reference.roi_align(X.astype(np.float64), boxes, bidx, mode="onnx_max", **attrs)
    ref_pool = reference.roi_pool(X.astype(np.float64), rois5, output_height=7, output_width=7, spatial_scale=1 / 16)

    print(f"roi-ops demo: library {get_library_path()}, onnxruntime {ort.__version__}")
    print(f"X {list(X.shape)}, {len(boxes)} RoIs (32-600 px boxes on an 800x1088 image), 7x7 output, 1 thread\n")
    print("RoI 0, channel 0, RoIAlign(avg) row 0:")
    print("  roi_ops   ", np.array2string(avg[0, 0, 0], precision=5, max_line_width=200))
    print("  reference ", np.array2string(ref_avg[0, 0, 0], precision=5, max_line_width=200))
    print("  RoiAlign  ", np.array2string(b_avg[0, 0, 0], precision=5, max_line_width=200))
    print()
    # Each op timed alone: one single-node session per op and implementation.
    t_ours, t_b = {}, {}
    for i, key in enumerate(("aligned_avg", "aligned_onnx_max", "pooled")):
        used = [v for v in ins if v.name in nodes[i].input]
        one = make_session(builders.make_model([nodes[i]], used, [outs[i]]), intra_op_num_threads=1)
        one_feeds = {v.name: feeds[v.name] for v in used}
        t_ours[key] = median_ms(lambda: one.run(None, one_feeds))
        if key == "pooled":
            t_b[key] = median_ms(lambda: std_pool.run(None, one_feeds))
        else:
            std_one = ort.InferenceSession(helper.make_model(
                helper.make_graph([std_nodes[i]], "std", used, [outs[i]]), opset_imports=[helper.make_opsetid("", 16)],
                ir_version=10).SerializeToString(), so, providers=["CPUExecutionProvider"])
            t_b[key] = median_ms(lambda: std_one.run(None, one_feeds))
    rows = [
        ("RoIAlign avg", "RoiAlign avg", avg, ref_avg, b_avg, "aligned_avg"),
        ("RoIAlign onnx_max", "RoiAlign max", omax, ref_omax, b_omax, "aligned_onnx_max"),
        ("RoIPool", "MaxRoiPool", pooled, ref_pool, b_pool, "pooled"),
    ]
    print(f"{'op':<19}{'max |diff| vs ref':>18}{'max |diff| vs ORT':>18}{'roi_ops ms':>12}{'built-in ms':>13}{'speed-up':>10}")
    ok = True
    for name, _, ours, ref, b, key in rows:
        d_ref = float(np.max(np.abs(ours - ref)))
        d_b = float(np.max(np.abs(ours - b)))
        ok &= d_ref < 1e-4 and d_b < 1e-4
        print(f"{name:<19}{d_ref:>18.2e}{d_b:>18.2e}{t_ours[key]:>12.2f}{t_b[key]:>13.2f}{t_b[key] / t_ours[key]:>9.1f}x")
    print("\nall outputs agree" if ok else "\nMISMATCH: see the table above")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
