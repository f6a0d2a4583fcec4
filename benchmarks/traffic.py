"""How many channel vectors the RoIAlign kernel loads from its staged block plane, per workload.

The CPU kernel stages one block of 16 float32 channels as [H, W, 16] (64 bytes a cell) and reads,
for every avg bin, each distinct row and column its bilinear samples touch once (merged cells,
ops/cpu/align_bins.h). This counts those 64-byte loads for W1-W4 and W6 from the reference's own
sample positions (roi_ops.reference.roi_align), next to the bytes of the maps, the output and one
staged plane. With `random_loads.cc`'s time per random 64-byte load it bounds what the kernel's
design can reach (RESULTS.md, "Against the machine's limit"):

  python benchmarks/traffic.py
"""
from __future__ import annotations

import numpy as np
from onnx import helper

from roi_ops.attributes import DEFAULTS
from roi_ops.bench.cases import roi_align_pool_cases
from roi_ops.reference.roi_align import axis_samples, bilinear_axis

BLOCK = 16  # float32 channels per staged block (ops/cpu/channel_blocks.h: 64 bytes)


def cells_per_bin(c1: float, c2: float, scale: float, aligned: bool, out: int, ratio: int, size: int) -> np.ndarray:
    """Distinct cells each bin's samples read along one axis."""
    pos, _ = axis_samples(c1, c2, scale, aligned, out, ratio)
    lo, hi, _, _, valid = bilinear_axis(pos, size)
    return np.array([len(set(lo[p][valid[p]]) | set(hi[p][valid[p]])) for p in range(out)])


def main() -> None:
    print("| workload | plane MB | maps MB | output MB | 64-byte plane loads per call |")
    print("|---|---|---|---|---|")
    for case in roi_align_pool_cases(np.float32):
        if case.op != "RoIAlign" or case.workload[:2] not in ("W1", "W2", "W3", "W4", "W6"):
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in case.model.graph.node[0].attribute}
        x, rois = case.feeds["X"], case.feeds["rois"]
        _, channels, h, w = x.shape
        out, ratio = attrs["output_height"], attrs["sampling_ratio"]
        scale, aligned = attrs["spatial_scale"], bool(attrs.get("aligned", DEFAULTS.RoIAlign.aligned))
        loads = 0
        for x1, y1, x2, y2 in rois.astype(np.float64):
            ys = cells_per_bin(y1, y2, scale, aligned, out, ratio, h)
            xs = cells_per_bin(x1, x2, scale, aligned, out, ratio, w)
            loads += int(np.outer(ys, xs).sum())
        loads *= -(-channels // BLOCK)
        print(f"| {case.workload} | {h * w * BLOCK * 4 / 1e6:.2f} | {x.nbytes / 1e6:.0f} | "
              f"{len(rois) * channels * out * out * 4 / 1e6:.0f} | {loads / 1e6:.1f} M ({loads * 64 / 1e9:.2f} GB) |")


if __name__ == "__main__":
    main()
