"""How many channel vectors the RoIAlign kernel loads from its staged block plane, per workload.

The CPU kernel stages one block of 16 float32 channels as [H, W, 16] (64 bytes a cell) and reads,
for every avg bin, each distinct row and column its bilinear samples touch once (merged cells,
ops/cpu/align_bins.h). This counts those 64-byte loads for W1-W4, W6 and each FPN map of M1 from
the reference's own sample positions (roi_ops.reference.roi_align), next to the bytes of the maps,
the output and one staged plane. With `random_loads.cc`'s time per random 64-byte load it bounds what the kernel's
design can reach (RESULTS.md, "Against the machine's limit").

A second table counts, for W6's CropAndResize and RoIAlignRotated (three RoIs on W1's map), the
distinct 64-byte lines of the NCHW map their samples read (no kernel can read fewer from that
layout) against the bytes of the same cells in an NHWC copy, the layout TensorFlow's
crop_and_resize reads (O6 makes that copy outside its timing):

  python benchmarks/traffic.py
"""
from __future__ import annotations

import numpy as np
from onnx import helper

from roi_ops.attributes import DEFAULTS, defaults
from roi_ops.bench.cases import op_set_cases, roi_align_pool_cases
from roi_ops.reference.crop_and_resize import crop_positions
from roi_ops.reference.multi_scale_roi_align import fpn_levels
from roi_ops.reference.roi_align import axis_samples, bilinear_axis
from roi_ops.reference.roi_align_rotated import sample_points

BLOCK = 16  # float32 channels per staged block (ops/cpu/channel_blocks.h: 64 bytes)


def cells_per_bin(c1: float, c2: float, scale: float, aligned: bool, out: int, ratio: int, size: int) -> np.ndarray:
    """Distinct cells each bin's samples read along one axis."""
    pos, _ = axis_samples(c1, c2, scale, aligned, out, ratio)
    lo, hi, _, _, valid = bilinear_axis(pos, size)
    return np.array([len(set(lo[p][valid[p]]) | set(hi[p][valid[p]])) for p in range(out)])


def align_loads(boxes: np.ndarray, scale: float, aligned: bool, out: int, ratio: int, h: int, w: int,
                channels: int) -> int:
    """The 64-byte plane loads the merged-cell bins make for these boxes (x1, y1, x2, y2)."""
    loads = 0
    for x1, y1, x2, y2 in boxes.astype(np.float64):
        ys = cells_per_bin(y1, y2, scale, aligned, out, ratio, h)
        xs = cells_per_bin(x1, x2, scale, aligned, out, ratio, w)
        loads += int(np.outer(ys, xs).sum())
    return loads * -(-channels // BLOCK)


def row(name: str, plane: int, maps: int, output: int, loads: int) -> str:
    return (f"| {name} | {plane * BLOCK * 4 / 1e6:.2f} | {maps / 1e6:.0f} | {output / 1e6:.0f} | "
            f"{loads / 1e6:.1f} M ({loads * 64 / 1e9:.2f} GB) |")


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
        loads = align_loads(rois, scale, aligned, out, ratio, h, w, channels)
        print(row(case.workload, h * w, x.nbytes, len(rois) * channels * out * out * 4, loads))
    multi_scale_rows()


def multi_scale_rows() -> None:
    """M1 stages each FPN map's blocks in turn and runs the RoIs of that level on it: a row per map."""
    case = next(c for c in op_set_cases() if c.op == "MultiScaleRoIAlign")
    a = attributes(case, "MultiScaleRoIAlign")
    names = [n for n in case.model.graph.node[0].input[2:]]
    maps, rois = [case.feeds[n] for n in names], case.feeds["rois"]
    level = fpn_levels(rois, a["spatial_scales"], canonical_scale=a["canonical_scale"],
                       canonical_level=a["canonical_level"], eps=a["eps"], eps_in_log=a["eps_in_log"])
    out = a["output_height"]
    for l, (x, scale) in enumerate(zip(maps, a["spatial_scales"])):
        _, channels, h, w = x.shape
        here = rois[level == l]
        loads = align_loads(here, scale, bool(a["aligned"]), out, a["sampling_ratio"], h, w, channels)
        print(row(f"{case.workload[:2]} map {l} ({len(here)} RoIs)", h * w, x.nbytes,
                  len(here) * channels * out * out * 4, loads))


def attributes(case, op: str) -> dict:
    """The case's node attributes over the op's defaults."""
    given = {a.name: helper.get_attribute_value(a) for a in case.model.graph.node[0].attribute}
    return {**defaults(op), **{k: v.decode() if isinstance(v, bytes) else v for k, v in given.items()}}


def crop_cells(case, h: int, w: int) -> tuple[list[np.ndarray], int]:
    """Per box, the flat cells (y * w + x) its bilinear crop samples read; the bins per channel."""
    a = attributes(case, "CropAndResize")
    out = []
    for y1, x1, y2, x2 in case.feeds["boxes"].astype(np.float64):
        ys, xs = crop_positions(y1, y2, h, a["crop_height"]), crop_positions(x1, x2, w, a["crop_width"])
        ys, xs = ys[(ys >= 0) & (ys <= h - 1)], xs[(xs >= 0) & (xs <= w - 1)]
        rows = np.unique(np.concatenate([np.floor(ys), np.ceil(ys)])).astype(np.int64)
        cols = np.unique(np.concatenate([np.floor(xs), np.ceil(xs)])).astype(np.int64)
        out.append((rows[:, None] * w + cols[None, :]).ravel())
    return out, a["crop_height"] * a["crop_width"]


def rotated_cells(case, h: int, w: int) -> tuple[list[np.ndarray], int]:
    """Per rotated box, the flat cells its samples' four bilinear corners read; the bins per channel."""
    a = attributes(case, "RoIAlignRotated")
    cells = []
    for box in case.feeds["rois"].astype(np.float64):
        ys, xs, _, _ = sample_points(box, a["spatial_scale"], a["output_height"], a["output_width"],
                                     a["sampling_ratio"], a["aligned"], a["clockwise"], a["angle_unit"])
        ylo, yhi, _, _, vy = bilinear_axis(ys, h)
        xlo, xhi, _, _, vx = bilinear_axis(xs, w)
        v = vy & vx
        cells.append(np.concatenate([(r * w + c)[v] for r in (ylo, yhi) for c in (xlo, xhi)]))
    return cells, a["output_height"] * a["output_width"]


def few_rois_lines() -> None:
    print("\n| W6 op | NCHW lines read (MB) | the same cells in NHWC (MB) | output MB |")
    print("|---|---|---|---|")
    for case in op_set_cases(few=True):
        count = {"CropAndResize": crop_cells, "RoIAlignRotated": rotated_cells}.get(case.op)
        if count is None:
            continue
        x = case.feeds["X"]
        _, channels, h, w = x.shape
        cells, bins = count(case, h, w)
        lines = sum(len(np.unique(c * x.itemsize // 64)) for c in cells) * channels * 64
        nhwc = sum(len(np.unique(c)) for c in cells) * channels * x.itemsize
        y_bytes = len(cells) * channels * bins * x.itemsize
        print(f"| {case.op} | {lines / 1e6:.2f} | {nhwc / 1e6:.2f} | {y_bytes / 1e6:.2f} |")


if __name__ == "__main__":
    main()
    few_rois_lines()
