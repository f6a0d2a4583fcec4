"""One `roi-ops bench` workload with its output bound through io_binding to a buffer of the
caller's, at several byte offsets past a 64-byte line, against the same session writing into
onnxruntime's own (line-aligned) buffer, in turns (roi_ops.bench.paired.alternate).

  python benchmarks/bound_output.py "W3 batch" --op RoIAlign [--library LIB] [--dtype float16]
                                   [--offsets 0,4,16,32,48] [--threads N] [--seconds S] [--quick]

numpy's arrays lie 16 bytes past a line (glibc's large allocations), so a caller that binds one
as the output hands the op rows that start and end inside lines; the kernels stream a large
output with non-temporal stores, and a line written partly with ordinary stores and partly with
non-temporal ones costs many times a streamed one (ops/cpu/roi_output.cc, stream_bytes). Each
row is the median of the per-turn ratios bound / own: 1.0 is no cost. The outputs are checked
equal to the own buffer's."""
from __future__ import annotations

import argparse
import sys

import numpy as np

from roi_ops.bench.paired import alternate, find_case
from roi_ops.bench.run import session


def bound_call(s, feeds: dict, like: np.ndarray, offset: int):
    """A run of session `s` writing its output into a fresh buffer `offset` bytes past a line."""
    raw = np.empty(like.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    y = raw[start:start + like.nbytes].view(like.dtype).reshape(like.shape)
    binding = s.io_binding()
    for name, value in feeds.items():
        binding.bind_cpu_input(name, value)
    binding.bind_output(s.get_outputs()[0].name, "cpu", 0, like.dtype, list(like.shape), y.ctypes.data)
    return (lambda: s.run_with_iobinding(binding)), y


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload")
    parser.add_argument("--op")
    parser.add_argument("--dtype", choices=("float32", "float16"), default="float32")
    parser.add_argument("--library", help="the roi_ops library file (default: the installed one)")
    parser.add_argument("--offsets", default="0,4,16,32,48", help="bytes past a 64-byte line, comma-separated")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true", help="the shrunken inputs of `roi-ops bench --quick`")
    args = parser.parse_args(argv)
    try:
        offsets = [int(o) for o in args.offsets.split(",")]
    except ValueError:
        offsets = []
    if not offsets or not all(0 <= o < 64 for o in offsets):
        print(f"bound_output.py: --offsets {args.offsets!r}: give bytes past a line, 0-63, comma-separated",
              file=sys.stderr)
        return 2
    case = find_case(args.workload, args.op, np.dtype(args.dtype), quick=args.quick)
    if case is None:
        print(f"bound_output.py: no {args.dtype} workload {args.workload!r} (op {args.op})", file=sys.stderr)
        return 2
    s = session(case.model, args.threads, True, args.library)
    own = s.run(None, case.feeds)[0]
    print(f"{case.workload} ({case.op}, {args.dtype}), {args.threads} thread(s), output {own.nbytes / 1e6:.1f} MB")
    print("| offset (bytes) | own buffer ms | bound ms | bound / own |")
    print("| --- | --- | --- | --- |")
    for offset in offsets:
        run, y = bound_call(s, case.feeds, own, offset)
        bound_ms, own_ms, ratio = alternate(run, lambda: s.run(None, case.feeds), args.seconds)
        if not np.array_equal(y, own, equal_nan=True):
            print(f"bound_output.py: the output bound {offset} bytes past a line differs from the own buffer's",
                  file=sys.stderr)
            return 1
        print(f"| {offset} | {own_ms:.2f} | {bound_ms:.2f} | {ratio:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
