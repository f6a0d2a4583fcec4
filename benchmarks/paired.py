"""Paired timing of one `roi-ops bench` workload, for changes smaller than this machine's noise.

Two sessions take turns on the same inputs, so a drift of the machine's speed (other load,
clocks) weighs on both alike; the figure to read is the median of the per-turn ratios. Five
forms:

  python benchmarks/paired.py libs "W1 box head" OLD.so NEW.so        two builds of the library
  python benchmarks/paired.py dtypes "W1 box head"                    float16 against float32
  python benchmarks/paired.py baseline "W6 few RoIs" --op RoIAlign   the op against its baseline
  python benchmarks/paired.py threads "W1 box head" --threads 2      1 thread against --threads
  python benchmarks/paired.py floor "M1 FPN box head"                the op against its floor

Options: --op (a workload's op when it has several: W4, W6), --dtype (libs, baseline: float16
inputs), --threads, --seconds, --quick (the shrunken inputs of `roi-ops bench --quick`). `libs`
runs each build in a process of its own (roi_ops.bench.paired.ProcessCall: two builds loaded into
one process ran unevenly by load order, up to 1.26x) and reports whether the builds' outputs
are bit-identical. Each process also draws a memory layout (the library's path moves the heap):
two copies of one build at different paths ran W3 0.85-0.89x on a Zen 4, so compare builds at
more than one pair of paths. The other forms run their two sessions in one process. `baseline`
times the installed library's op (or the one library file given) against the baseline `roi-ops
bench` gives it, in alternation: both then see caches another model has just used, where the bench
times each alone. `threads` gives the installed library's scaling from 1 thread to --threads,
and that of the bench's floor (its plain copy of the workload's bytes), since how far a second
thread helps a memory-bound op depends on how far it helps a copy on that machine; each copy is
timed after 20 ms of the same copy back to back (`roi_ops.bench.paired.settled`: a copy's first
runs after work at the other thread count are slow on the Zen 4 VM).
`libs`, `baseline` and `dtypes` sessions of several threads do not spin between calls (each
session has its own pool, and the other's spinning threads would take its vCPUs); `threads`
keeps onnxruntime's default, as the bench's rows do.
`floor` gives the bench's "roi_ops / floor" in alternation (the floor's copy evicts the maps
between calls, which the bench's op, timed alone, finds in cache when they fit).
`roi-ops bench` times the floor and threads figures of the performance targets the same way
(roi_ops.bench.paired); RESULTS.md quotes figures from this script.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

import roi_ops
from roi_ops.bench import paired
from roi_ops.bench.paired import ProcessCall, alternate, call, over_floor, scaling


def find_case(workload: str, op: str | None, dtype, quick: bool):
    found = paired.find_case(workload, op, dtype, quick)
    if found is None:
        sys.exit(f"paired.py: no {np.dtype(dtype).name} workload {workload!r}" + (f" with op {op}" if op else ""))
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("form", choices=["libs", "dtypes", "baseline", "threads", "floor"])
    p.add_argument("workload")
    p.add_argument("libraries", nargs="*", help="libs: the OLD and NEW library files; baseline: at most one")
    p.add_argument("--op")
    p.add_argument("--dtype", default="float32", choices=["float32", "float16"], help="libs: the inputs' type")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    dtype = f", {args.dtype}" if args.form != "dtypes" else ""
    where = f"{args.workload} ({args.op or 'its op'}{dtype}), {args.threads} thread(s)"
    if args.form == "libs":
        if len(args.libraries) != 2:
            p.error("libs needs two library files: OLD.so NEW.so")
        builds = []
        try:
            for lib in args.libraries:
                builds.append(ProcessCall(args.workload, args.op, args.dtype, args.quick, args.threads, lib))
            old, new = builds
            same = old.digest == new.digest
            t_old, t_new, ratio = alternate(old, new, args.seconds, own_times=True)
        except (LookupError, RuntimeError) as e:
            sys.exit(f"paired.py: {e}")
        finally:
            for b in builds:
                b.close()
        print(f"{where}: old {t_old:.2f} ms, new {t_new:.2f} ms, new is {ratio:.3f}x faster (paired median); "
              f"outputs {'bit-identical' if same else 'differ'}")
    elif args.form == "baseline":
        if len(args.libraries) > 1:
            p.error("baseline takes at most one library file")
        case = find_case(args.workload, args.op, np.dtype(args.dtype), args.quick)
        lib = args.libraries[0] if args.libraries else roi_ops.get_library_path(cuda=False)
        ours = call(case, args.threads, lib, spinning=False)
        try:
            base = call(case, args.threads, lib, baseline=True, spinning=False)
        except Exception as e:  # noqa: BLE001 - onnxruntime has no float16 MaxRoiPool kernel
            sys.exit(f"paired.py: {case.baseline} does not run here ({str(e).splitlines()[0][:120]})")
        t_base, t_ours, speedup = alternate(base, ours, args.seconds)
        print(f"{where}: roi_ops {t_ours:.2f} ms, {case.baseline} {t_base:.2f} ms, roi_ops is {speedup:.2f}x "
              f"faster (paired median)")
    elif args.form == "floor":
        r = over_floor(find_case(args.workload, args.op, np.dtype(args.dtype), args.quick), args.threads, args.seconds)
        print(f"{where}: roi_ops {r.first_ms:.2f} ms, floor {r.second_ms:.2f} ms, roi_ops / floor {r.ratio:.2f} "
              f"(paired median)")
    elif args.form == "threads":
        if args.threads < 2:
            p.error("threads compares 1 thread with --threads, which must be at least 2")
        r = scaling(find_case(args.workload, args.op, np.dtype(args.dtype), args.quick), args.threads, args.seconds)
        print(f"{args.workload} ({args.op or 'its op'}, {args.dtype}): 1 thread {r.first_ms:.2f} ms, {args.threads} "
              f"threads {r.second_ms:.2f} ms, scaling {r.ratio:.2f}x (paired median); the floor's copy "
              f"scaling {r.copy_ratio:.2f}x (settled)")
    else:
        lib = roi_ops.get_library_path(cuda=False)
        f32 = call(find_case(args.workload, args.op, np.float32, args.quick), args.threads, lib, spinning=False)
        f16 = call(find_case(args.workload, args.op, np.float16, args.quick), args.threads, lib, spinning=False)
        t16, t32, ratio = alternate(f16, f32, args.seconds)
        print(f"{where}: float32 {t32:.2f} ms, float16 {t16:.2f} ms, float16 takes {ratio:.3f}x the float32 "
              f"time (paired median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
