"""The ``roi-ops`` command line: demo, bench, info, explain, convert, check.

User mistakes (a missing file, a model that is not ONNX, a node that cannot be converted) end in
one line on stderr and exit status 1; argparse usage errors exit with 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


from ._args import int_at_least
from ._files import FileProblem, existing_file, load_model, new_file, new_folder, save_model, writing
from ._extras import missing
from ._library import SettingError, loadable_library_path, run_error


EXPLAIN_PNG = "roi_pool_vs_roi_align.png"  # roi-ops explain's file when given none, or a directory


class UserError(Exception):
    """A problem with what the user asked for: reported in one line, no traceback."""


def cmd_demo(args) -> int:
    absent = missing("onnxruntime_extensions", "PIL", "tqdm")
    if absent:
        raise UserError(f"roi-ops demo needs {', '.join(absent)}: pip install 'roi-ops[demo]'")
    from .demo import run

    run(args.models, args.output, args.runs, args.threads)
    return 0


def cmd_info(_args) -> int:
    import onnxruntime

    from . import __version__, get_library_path

    path = get_library_path()
    print(f"roi-ops {__version__}")
    print(f"library: {path}")
    info_file = os.path.join(os.path.dirname(path), "roi_ops_build_info.json")
    build = {}
    if os.path.isfile(info_file):
        with open(info_file) as f:
            build = json.load(f)
    for key in ("compiler", "build_type", "cxx_flags", "cpu_isa", "sanitizers", "onnxruntime_api_version"):
        value = build.get(key, "unknown (no roi_ops_build_info.json next to the library)")
        print(f"{key}: {'none' if value is None else value}")
    from ._cpu import picked_isa
    from ._runtime_packages import side_by_side_problem

    print(f"cpu path at load time: {picked_isa()}")
    try:
        cuda_path = get_library_path(cuda=True) if not os.environ.get("ROI_OPS_LIBRARY") else None
    except FileNotFoundError:
        cuda_path = None
    if cuda_path and build.get("cuda"):
        in_use = "in use" if cuda_path == path else "used when onnxruntime offers CUDAExecutionProvider"
        print(f"cuda: yes, {cuda_path} for {build['cuda']} ({in_use})")
    else:
        print("cuda: no (CPU kernels only)")
    print(f"onnxruntime: {onnxruntime.__version__} (providers: {', '.join(onnxruntime.get_available_providers())})")
    problem = side_by_side_problem()
    if problem:
        print(f"warning: {problem}")
    loadable_library_path()
    print("loads in onnxruntime: yes")
    return 0


def cmd_explain(args) -> int:
    path = args.output
    if os.path.isdir(path):  # as cp does: the default file name inside it
        path = os.path.join(path, EXPLAIN_PNG)
    elif os.path.splitext(path)[1].lower() not in ("", ".png"):
        raise UserError(f"roi-ops explain writes a PNG: {path} names a {os.path.splitext(path)[1]} file")
    new_file(path)  # before the drawing: a folder that does not exist, or a file where one should be
    if missing("matplotlib"):
        raise UserError("roi-ops explain needs matplotlib: pip install 'roi-ops[plots]'")
    from .explain import draw

    print(f"wrote {draw(path)}")
    return 0


def cmd_bench(args) -> int:
    import shlex

    from .bench import report
    from .bench.cases import all_cases
    from .bench.paired import target_rows
    from .bench.run import MIN_SECONDS, run_all

    if args.warmup < 0 or args.repeat < 1 or not args.threads or min(args.threads) < 1 or args.paired_seconds < 0:
        raise UserError("--repeat and --threads must be at least 1, --warmup and --paired-seconds at least 0")
    loadable_library_path(cuda=False)  # the build the workloads time (run.session)
    if args.results:
        new_file(args.results, "--results names the Markdown file")  # a typo'd folder is not made
    out_dir = os.path.dirname(os.path.abspath(args.results)) if args.results else args.output_dir
    new_folder(out_dir, "--output-dir names a folder")  # now: a bad place fails before minutes of runs
    if missing("tqdm") and not args.no_progress:
        print("roi-ops bench: tqdm is not installed, so no progress bar (pip install 'roi-ops[demo]')", file=sys.stderr)
        args.no_progress = True
    plot = not missing("matplotlib")
    if not plot:
        print("roi-ops bench: matplotlib is not installed, so no plot (pip install 'roi-ops[plots]')", file=sys.stderr)
    from ._library import package_folder

    args.models = args.models or package_folder("models") or "models"
    size = None if args.no_torchvision else (320 if args.quick else 800)
    peers = not args.no_peers and "float32" in args.dtypes
    if peers and missing("openvino"):
        print("roi-ops bench: openvino is not installed; O1-O4 skipped (pip install 'roi-ops[openvino]')",
              file=sys.stderr)
        peers = False
    if peers and "libasan" in os.environ.get("LD_PRELOAD", ""):
        # OpenVINO dlopens its plugins with RTLD_DEEPBIND, which a preloaded sanitizer runtime
        # answers by aborting the process.
        print("roi-ops bench: OpenVINO cannot load under a preloaded sanitizer runtime; O1-O4 skipped",
              file=sys.stderr)
        peers = False
    tensorflow = not args.no_peers and "float32" in args.dtypes
    if tensorflow and missing("tensorflow"):
        print("roi-ops bench: tensorflow is not installed; O5-O6 skipped (pip install 'roi-ops[tensorflow]')",
              file=sys.stderr)
        tensorflow = False
    if tensorflow and "libasan" in os.environ.get("LD_PRELOAD", ""):
        print("roi-ops bench: TensorFlow is not run under a preloaded sanitizer runtime; O5-O6 skipped",
              file=sys.stderr)
        tensorflow = False
    cases = list(all_cases(dtypes=args.dtypes, quick=args.quick, models_dir=args.models, torchvision_size=size,
                           cache_dir=args.cache_dir, peers=peers, tensorflow=tensorflow))
    if not any(c.workload.startswith("D1") for c in cases) and "float32" in args.dtypes:
        print(f"roi-ops bench: no detector models in {args.models!r}; D1 skipped", file=sys.stderr)
    if size and not any(c.workload.startswith("T1") for c in cases) and "float32" in args.dtypes:
        print("roi-ops bench: torch or torchvision is not installed; T1 skipped (pip install 'roi-ops[test]')",
              file=sys.stderr)
    min_seconds = 0.0 if args.quick else MIN_SECONDS
    rows = run_all(cases, args.threads, args.warmup, args.repeat, progress=not args.no_progress,
                   min_seconds=min_seconds)
    head = report.header(args.threads, args.warmup, args.repeat, args.quick, min_seconds)
    text = report.table(rows, args.quick)
    if args.paired_seconds > 0:
        seconds = min(args.paired_seconds, 0.1) if args.quick else args.paired_seconds
        paired = target_rows(cases, args.threads, seconds)
        if paired:
            text += "\n\n" + report.paired_table(paired, seconds, args.quick)
    print(head + "\n\n" + text)
    title = head.split(";")[0].split(". ")[-1]
    png = report.plot(rows, os.path.join(out_dir, "bench.png"), title, args.quick) if plot else None
    figure = f"\n\n![speed-up per workload]({os.path.basename(png)})" if png else ""
    if args.results:
        command = "roi-ops bench " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["bench"] \
            else "roi-ops bench"
        report.update_results(args.results, f"Produced by `{command}`:\n\n{head}\n\n{text}{figure}")
        print(f"\nwrote {png + ' and ' if png else ''}the latest table into {args.results}")
    else:
        bench_md = os.path.join(out_dir, "bench.md")
        with writing(bench_md), open(bench_md, "w") as f:
            f.write(head + "\n\n" + text + "\n")
        print(f"\nwrote {png + ' and ' if png else ''}{bench_md}")
    return 0


def cmd_convert(args) -> int:
    import warnings

    from .convert import ConversionError, ConversionReport, to_roi_ops, to_standard
    from .functions import FunctionReport, attach_functions, inline_functions
    from .graph import InvalidModel

    if not args.output and not args.in_place:
        raise UserError("give an output file (-o OUT) or --in-place")
    if args.output and args.in_place:
        raise UserError("give either an output file (-o OUT) or --in-place, not both")
    model = load_model(args.model, external_data=False)
    if args.output:
        new_file(args.output)
    report, bodies = ConversionReport(), FunctionReport()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if args.to == "roi_ops":
                out = to_roi_ops(model, fix_onnx_max=args.fix_onnx_max, fuse=not args.no_fuse, aligned=args.aligned,
                                 fold_aligned_shift=args.fold_aligned_shift, report=report)
                if args.with_functions:
                    out = attach_functions(out, report=bodies)
            elif args.with_functions:
                out = inline_functions(model)
            else:
                out = to_standard(model)
    except InvalidModel as e:
        raise UserError(f"{args.model}: {e}") from e
    except ConversionError as e:
        hint = "" if args.to == "roi_ops" or args.with_functions else (
            " (--with-functions writes the nodes' standard-op function bodies instead, within float32 rounding "
            "where no single standard op computes the form)")
        raise UserError(str(e) + hint) from e
    for w in caught:
        print(f"roi-ops: warning: {w.message}", file=sys.stderr)
    target = args.model if args.in_place else args.output
    if args.to == "roi_ops":
        if not (report.fused or report.converted or report.not_fused or report.foreign):
            print(f"nothing to convert: {args.model} has no RoiAlign, MaxRoiPool, exporter pooler or other "
                  f"toolchains' RoI nodes")
        foreign = f", converted {len(report.foreign)} other toolchains' node(s)" if report.foreign else ""
        ps = f", fused {len(report.position_sensitive)} PSRoIAlign form(s)" if report.position_sensitive else ""
        print(f"fused {len(report.fused)} multi-level pooler(s), converted {len(report.converted)} node(s), "
              f"left {len(report.not_fused)} pooler(s) unfused{foreign}{ps}; nodes {len(model.graph.node)} -> "
              f"{len(out.graph.node)}")
        if args.verbose:
            for line in report.foreign:
                print(f"  converted {line}")
            for line in report.fused:
                print(f"  fused {line}")
            for line in report.not_fused:
                print(f"  not fused {line}")
            for line in report.converted:
                print(f"  converted {line}")
            for line in report.position_sensitive:
                print(f"  fused {line}")
        if args.with_functions:
            already = f" ({len(bodies.already)} more the model already had)" if bodies.already else ""
            print(f"attached {len(bodies.attached)} function body(ies){already}; {len(bodies.without)} roi_ops "
                  f"node(s) without one (they run only where the library is registered)")
            for line in bodies.attached:
                print(f"  body {line}")
            for line in bodies.already:
                print(f"  body already there: {line}")
            for line in bodies.without:
                print(f"  no body for {line}")
    else:
        count = sum(n.domain == "roi_ops" for n in model.graph.node)
        print(f"converted {count} roi_ops node(s) to standard ops; nodes {len(model.graph.node)} -> "
              f"{len(out.graph.node)}")
    data = save_model(out, target, args.model)
    print(f"wrote {target}" + (f" (its external tensors in {data})" if data else ""))
    return 0


def cmd_check(args) -> int:
    import onnx

    from .check import CheckError, compare, locate, make_inputs
    from .foreign import foreign_nodes
    from .graph import node_label, uses_domain

    loadable_library_path()  # else each run below would fail with "running MODEL: Failed to load library"
    model = load_model(args.model)
    foreign = foreign_nodes(model)
    if foreign:  # onnxruntime (or, for its contrib ops, the reference) would say only that the op is unknown
        raise UserError(f"{args.model}: {len(foreign)} node(s) of other toolchains ({node_label(foreign[0])}, "
                        f"domain {foreign[0].domain!r}), which check does not run; convert the model first: "
                        f"roi-ops convert {args.model} -o OUT.onnx")
    if not uses_domain(model):  # still a check of onnxruntime against the reference evaluator
        print(f"roi-ops: note: {args.model} has no roi_ops nodes, so this checks onnxruntime's own ops against "
              f"the reference; roi-ops convert {args.model} -o OUT.onnx gives it roi_ops nodes", file=sys.stderr)
    dims = {}
    for d in args.dim:
        name, _, value = d.partition("=")
        if not name or not value.isdigit():
            raise UserError(f"--dim {d!r}: expected NAME=SIZE, e.g. --dim K=100")
        dims[name] = int(value)
    if args.inputs:
        feeds = _load_inputs(existing_file(args.inputs))
    try:
        if not args.inputs:
            feeds = make_inputs(model, dims, args.seed)
        results = compare(model, feeds, path=args.model)
    except (CheckError, onnx.checker.ValidationError) as e:
        raise UserError(str(e)) from e
    except (UserError, SettingError):
        raise
    except Exception as e:  # noqa: BLE001 - onnxruntime and onnx errors name the problem
        raise UserError(f"running {args.model}: {run_error(e)}") from e
    for r in results:
        print(r)
    bad = [r.name for r in results if not r.ok]
    if bad:
        try:
            where = locate(model, feeds)
        except Exception as e:  # noqa: BLE001 - the verdict stands; only the place is not known
            where = f"where they part is not known ({run_error(e)})"
        raise UserError(f"{args.model}: the library and the reference differ in {', '.join(bad)}"
                        + (f"; {where}" if where else ""))
    print(f"largest difference: {max((r.largest for r in results), default=0.0):.3g}; every output within "
          "tolerance")
    return 0


def _load_inputs(path: str) -> dict:
    """The arrays of an .npz file (np.savez) by name."""
    import numpy as np

    try:
        with np.load(path) as npz:  # allow_pickle stays False: an input file runs no code
            return {name: npz[name] for name in npz.files}
    except Exception as e:  # noqa: BLE001 - a file np.load cannot read, or one array (.npy)
        raise UserError(f"{path}: not an .npz file of inputs by name (np.savez)") from e


def main(argv: list[str] | None = None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="roi-ops", description="RoI operators for ONNX Runtime.")
    parser.add_argument("--version", action="version", version=f"roi-ops {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a detector end to end on a built-in image (plugin vs standard ops)")
    from .demo import add_arguments as add_demo_arguments

    add_demo_arguments(demo)
    bench = sub.add_parser("bench", help="time the benchmark workloads against onnxruntime's built-in ops and the "
                                          "standard-op models; table and plot")
    bench.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="intra-op thread counts (default 1 2)")
    bench.add_argument("--dtypes", nargs="+", choices=["float32", "float16"], default=["float32", "float16"],
                       help="element types of W1-W5 (the other workloads run in float32)")
    bench.add_argument("--warmup", type=int, default=3, help="untimed runs before timing")
    bench.add_argument("--repeat", type=int, default=15, help="timed runs (median)")
    bench.add_argument("--quick", action="store_true", help="small inputs: a smoke test of the command, not figures")
    bench.add_argument("--paired-seconds", type=float, default=4.0,
                       help="seconds of alternation for each of the targets' paired ratios (op / floor, thread "
                            "scaling; default 4, 0.1 at most with --quick; 0 leaves them out)")
    bench.add_argument("--models", default=None, help="folder of faster_rcnn_detector[.standard].onnx for D1 "
                                                      "(default: the copies installed with the package, else ./models)")
    bench.add_argument("-o", "--output-dir", default="bench_output", help="folder for bench.md and bench.png")
    bench.add_argument("--results", help="Markdown file whose 'roi-ops bench' block gets the table (bench.png "
                                         "is written beside it), e.g. benchmarks/RESULTS.md")
    bench.add_argument("--no-progress", action="store_true", help="no progress bar")
    bench.add_argument("--no-peers", action="store_true",
                       help="leave out the peers' rows (O1-O4: OpenVINO on the same models; O5-O6: TensorFlow's "
                            "crop_and_resize)")
    bench.add_argument("--no-torchvision", action="store_true",
                       help="skip T1, torchvision's Faster R-CNN export (needs torch and torchvision; 800x800, or "
                            "320x320 with --quick)")
    bench.add_argument("--cache-dir", default=os.path.join(os.environ.get("XDG_CACHE_HOME") or
                                                           os.path.join(os.path.expanduser("~"), ".cache"), "roi-ops"),
                       help="where T1's exported model is kept between runs (default ~/.cache/roi-ops)")
    info = sub.add_parser("info", help="library path, version, build flags, CUDA or not, onnxruntime version; "
                          "exit 1 when onnxruntime cannot load the library")
    exp = sub.add_parser("explain", help="draw RoI pooling vs RoI align on the textbook example (PNG)")
    exp.add_argument("-o", "--output", default=EXPLAIN_PNG,
                     help=f"PNG file to write, or a directory to write {EXPLAIN_PNG} into")
    conv = sub.add_parser("convert", help="convert standard RoiAlign/MaxRoiPool nodes to roi_ops, or back")
    conv.add_argument("model", help="input .onnx file")
    conv.add_argument("-o", "--output", help="output .onnx file")
    conv.add_argument("--in-place", action="store_true", help="overwrite the input file")
    conv.add_argument("--to", choices=["roi_ops", "standard"], default="roi_ops",
                      help="roi_ops: RoiAlign/MaxRoiPool -> roi_ops (default); standard: roi_ops -> standard ops")
    conv.add_argument("--fix-onnx-max", action="store_true",
                      help="map RoiAlign mode=max to the true max of samples (changes the numbers) instead of "
                           "onnx_max")
    conv.add_argument("--no-fuse", action="store_true",
                      help="keep exporters' per-level RoI pooling nodes instead of fusing them into MultiScaleRoIAlign "
                      "(and PSRoIAlign's standard form instead of fusing it into PSRoIAlign)")
    conv.add_argument("--aligned", action="store_true",
                      help="set aligned=1 on every converted RoIAlign / MultiScaleRoIAlign (for exports that lost "
                           "aligned=True, e.g. torchvision's opset-11 symbolic; changes the numbers)")
    conv.add_argument("--fold-aligned-shift", action="store_true",
                      help="fuse poolers whose RoIs are shifted by -0.5/spatial_scale (mmdeploy's aligned=True below "
                           "opset 16) as aligned=1 (changes the numbers for RoIs under one feature cell)")
    conv.add_argument("--with-functions", action="store_true",
                      help="attach standard-op function bodies to the roi_ops nodes, so the model also runs where "
                           "the library is not registered (onnxruntime inlines them); lists nodes left without one. "
                           "With --to standard: replace each roi_ops node by its body (for runtimes that expand "
                           "no model-local functions)")
    conv.add_argument("-v", "--verbose", action="store_true",
                      help="list each pooler fused or left alone (with the reason) and each node converted")
    chk = sub.add_parser("check", help="run a model through the library and the NumPy reference; exit 1 when an "
                                       "output differs beyond its dtype's tolerance, naming where the two part "
                                       "(before, in or after a roi_ops node)")
    chk.add_argument("model", help=".onnx file with roi_ops nodes")
    chk.add_argument("--inputs", help=".npz file of inputs by name (default: inputs made from the roi_ops "
                                      "nodes' contracts: valid RoIs, batch indices in [0, N))")
    chk.add_argument("--dim", action="append", default=[], metavar="NAME=SIZE",
                     help="size of a named (symbolic) input dimension for the made inputs; an error if no input "
                          "has it")
    chk.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the random inputs")
    demo.set_defaults(func=cmd_demo)
    bench.set_defaults(func=cmd_bench)
    info.set_defaults(func=cmd_info)
    exp.set_defaults(func=cmd_explain)
    conv.set_defaults(func=cmd_convert)
    chk.set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # here, so that a closed pipe is caught below rather than at exit
        return code
    except BrokenPipeError:
        # stdout's reader has gone (`roi-ops convert ... | head -1`): stop quietly, as tools killed
        # by SIGPIPE do, and keep the interpreter's last flush from printing a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (UserError, FileProblem, SettingError, OSError) as e:  # OSError: a path that cannot be read or written
        print(f"roi-ops: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
