"""The main demo: a Faster R-CNN-style detector (FPN, MultiScaleRoIAlign box head;
models/faster_rcnn_detector.onnx) run end to end in one onnxruntime session on a built-in image:
PNG bytes → onnxruntime-extensions pre-processing → detector with the roi_ops plugin →
NMS, boxes drawn and PNG encoded by onnxruntime-extensions → annotated PNG.

The same detector exported with standard ONNX ops only (models/faster_rcnn_detector.standard.onnx:
the per-level NonZero / Gather / RoiAlign / ScatterND graph exporters produce) runs beside it; the
demo prints a table of both: median times and the largest differences of their outputs.

The detector's weights are fixed random numbers (no download): its boxes show the pipeline
working, not trained detections.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import onnx

from . import DOMAIN, get_library_path
from ._args import int_at_least
from ._files import FileProblem, load_model, new_folder, writing
from ._library import QUIET_LOGS, SettingError, loadable_library_path, package_folder, run_error
from ._timing import median_ms
from .pipeline import add_pre_post_processing
from .sample_image import png_bytes, scene

DETECTOR = "faster_rcnn_detector"


def _sessions(detector: onnx.ModelProto, threads: int, plugin: bool):
    """(detector session, end-to-end session) with the roi_ops library registered when `plugin`."""
    import onnxruntime as ort

    from .extensions import session_options_with_extensions

    def options():
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = QUIET_LOGS
        return so

    core_options = options()
    if plugin:
        core_options.register_custom_ops_library(get_library_path())
    cpu = ["CPUExecutionProvider"]
    core = ort.InferenceSession(detector.SerializeToString(), core_options, providers=cpu)
    e2e_model = add_pre_post_processing(detector)
    e2e_options = session_options_with_extensions(options(), with_roi_ops=plugin)
    return core, ort.InferenceSession(e2e_model.SerializeToString(), e2e_options, providers=cpu)


def _progress(total: int, description: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="run", leave=False, file=sys.stderr, dynamic_ncols=True)


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))


def run(models_dir: str | None, output_dir: str, runs: int = 20, threads: int = 1) -> dict:
    """Runs the demo; returns what it printed as numbers (for the tests)."""
    import onnxruntime as ort

    models_dir = models_dir or package_folder("models") or "models"
    paths = {kind: os.path.join(models_dir, f"{DETECTOR}{suffix}.onnx")
             for kind, suffix in (("plugin", ""), ("standard", ".standard"))}
    for path in paths.values():
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} not found: run the demo from the repository root, or pass --models DIR "
                                    "(python models/generate.py writes the models)")
    loadable_library_path()  # its problem, not the models'
    sessions = {}
    for kind, path in paths.items():
        detector = load_model(path)
        try:
            sessions[kind] = (detector, *_sessions(detector, threads, plugin=(kind == "plugin")))
        except SettingError:
            raise  # the environment's, not the model's
        except Exception as e:  # noqa: BLE001 - onnxruntime's or the pipeline's word on the user's model
            raise FileProblem(f"{path}: {run_error(e)}") from e
    new_folder(output_dir, "-o names a folder")
    image = scene()
    data = png_bytes(image)
    input_png = os.path.join(output_dir, "input.png")
    with writing(input_png), open(input_png, "wb") as f:
        f.write(data.tobytes())

    print(f"roi-ops demo: {DETECTOR} (FPN P2-P5, 1008 anchor proposals, MultiScaleRoIAlign 7x7 box head, "
          "fixed random weights)")
    print(f"onnxruntime {ort.__version__}, {threads} intra-op thread(s); library {get_library_path()}")
    print(f"input: built-in {image.shape[1]}x{image.shape[0]} PNG ({len(data)} bytes) -> {output_dir}/input.png\n")

    results = {}
    bar = _progress(4 * (runs + 2), "timing")
    for kind, (detector, core, e2e) in sessions.items():
        annotated, detections, pixels = e2e.run(None, {"image_bytes": data})
        boxes, scores = core.run(None, {"image": pixels})
        results[kind] = {
            "model": detector, "annotated": annotated, "detections": detections, "boxes": boxes, "scores": scores,
            "detector_ms": median_ms(lambda: core.run(None, {"image": pixels}), warmup=2, repeat=runs, tick=bar.update),
            "end_to_end_ms": median_ms(lambda: e2e.run(None, {"image_bytes": data}), warmup=2, repeat=runs,
                                       tick=bar.update),
        }
    bar.close()

    plugin, standard = results["plugin"], results["standard"]
    out_png = os.path.join(output_dir, "detections.png")
    with writing(out_png), open(out_png, "wb") as f:
        f.write(plugin["annotated"].tobytes())

    print(f"{len(plugin['detections'])} detections after NMS (cx, cy, w, h in input-image pixels):")
    print(f"  {'class':>5} {'score':>7} {'cx':>7} {'cy':>7} {'w':>7} {'h':>7}")
    for cx, cy, w, h, score, cls in plugin["detections"]:
        print(f"  {int(cls):>5} {score:>7.4f} {cx:>7.1f} {cy:>7.1f} {w:>7.1f} {h:>7.1f}")
    print(f"annotated image: {out_png}\n")

    diffs = {"boxes": _max_abs(plugin["boxes"], standard["boxes"]),
             "scores": _max_abs(plugin["scores"], standard["scores"])}
    same = plugin["detections"].shape == standard["detections"].shape
    diffs["detections"] = _max_abs(plugin["detections"], standard["detections"]) if same else float("inf")
    print(f"median of {runs} runs each, {threads} thread(s):\n")
    print("| model | nodes | RoI nodes | detector ms | end to end ms | largest difference from the plugin model |")
    print("|---|---|---|---|---|---|")
    for kind, r in results.items():
        nodes = r["model"].graph.node
        roi = [n.op_type for n in nodes if n.domain == DOMAIN or n.op_type == "RoiAlign"]
        roi_text = f"{len(roi)} ({', '.join(sorted(set(roi)))})"
        diff = "-" if kind == "plugin" else (f"boxes {diffs['boxes']:.2g} px, scores {diffs['scores']:.2g}, "
                                             f"detections {diffs['detections']:.2g}")
        print(f"| {kind} ({os.path.basename(paths[kind])}) | {len(nodes)} | {roi_text} | {r['detector_ms']:.2f} "
              f"| {r['end_to_end_ms']:.2f} | {diff} |")
    speedup = standard["detector_ms"] / plugin["detector_ms"]
    print(f"\ndetector with the plugin: {speedup:.2f}x the speed of the standard-op detector "
          f"({standard['end_to_end_ms'] / plugin['end_to_end_ms']:.2f}x end to end)")
    return {"diffs": diffs, "speedup": speedup, "annotated": out_png, "detections": plugin["detections"]}


def main(argv: list[str] | None = None) -> int:
    """`python -m roi_ops.demo` is `roi-ops demo`: the same extras check and one-line errors."""
    from .cli import main as cli_main

    return cli_main(["demo", *(sys.argv[1:] if argv is None else argv)])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", default=None, help="folder with faster_rcnn_detector[.standard].onnx "
                                                         "(default: the copies installed with the package, else "
                                                         "./models)")
    parser.add_argument("-o", "--output", default="demo_output", help="folder for input.png and detections.png")
    parser.add_argument("--runs", type=int_at_least(1), default=20, help="timed runs per model (median)")
    parser.add_argument("--threads", type=int_at_least(1), default=1, help="intra-op threads per session")


if __name__ == "__main__":
    raise SystemExit(main())
