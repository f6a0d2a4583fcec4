"""The figure behind `roi-ops explain`: RoI pooling against RoI align on the textbook example
(800×800 image, stride 32 → 25×25 feature map, a 665×665 RoI, 7×7 output).

RoIPool quantizes twice: the RoI edge 665/32 = 20.78 feature cells becomes 20, and each of the
7 bins 20/7 = 2.86 cells becomes 2, so the pooled cells cover 14×14 of the 20.78×20.78 the RoI
spans. RoIAlign keeps 20.78 and 2.97-cell bins and reads bilinear samples at real positions —
drawn here from roi_ops' own reference geometry (2×2 samples per bin, aligned=0).
"""
from __future__ import annotations

import numpy as np

IMAGE, STRIDE, ROI, OUT = 800, 32, 665, 7


def textbook_numbers() -> dict:
    edge = ROI / STRIDE
    return {"roi_cells": edge, "roi_cells_quantized": int(np.floor(edge)), "bin_cells": np.floor(edge) / OUT,
            "bin_cells_quantized": int(np.floor(np.floor(edge) / OUT)), "align_bin_cells": edge / OUT}


def align_samples(sampling_ratio: int = 2) -> np.ndarray:
    """Sample positions [OUT * sampling_ratio] along one axis, in feature cells, from the reference."""
    from .reference.roi_align import axis_samples

    pos, _ = axis_samples(0.0, float(ROI), 1.0 / STRIDE, False, OUT, sampling_ratio)
    return pos.reshape(-1)


def draw(path: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    n = textbook_numbers()
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.2))
    cells = IMAGE // STRIDE
    for ax in axes:
        ax.set_xlim(-0.5, 22.5)
        ax.set_ylim(22.5, -0.5)
        ax.set_aspect("equal")
        for i in range(cells + 1):
            ax.axhline(i, color="0.85", lw=0.6)
            ax.axvline(i, color="0.85", lw=0.6)
        ax.add_patch(Rectangle((0, 0), n["roi_cells"], n["roi_cells"], fill=False, ec="tab:red", lw=2))
        ax.set_xticks([])
        ax.set_yticks([])
    q, b = n["roi_cells_quantized"], n["bin_cells_quantized"]
    ax = axes[0]
    ax.add_patch(Rectangle((0, 0), q, q, fill=False, ec="tab:blue", lw=2, ls="--"))
    for i in range(OUT):
        for j in range(OUT):
            ax.add_patch(Rectangle((j * b, i * b), b, b, fc="tab:blue", alpha=0.25 if (i + j) % 2 else 0.45))
    ax.set_title(f"RoIPool: {ROI}/{STRIDE} = {n['roi_cells']:.2f} → {q} cells, "
                 f"bins {q}/{OUT} = {n['bin_cells']:.2f} → {b}\n{OUT}×{OUT} bins of {b}×{b} cells cover "
                 f"{OUT * b}×{OUT * b} of {n['roi_cells']:.2f}×{n['roi_cells']:.2f}", fontsize=10)
    ax = axes[1]
    s = n["align_bin_cells"]
    for i in range(1, OUT):
        ax.axhline(i * s, xmax=(n["roi_cells"] + 0.5) / 23, color="tab:green", lw=0.8)
        ax.axvline(i * s, ymin=1 - (n["roi_cells"] + 0.5) / 23, color="tab:green", lw=0.8)
    pos = align_samples()
    yy, xx = np.meshgrid(pos, pos, indexing="ij")
    ax.plot(xx.ravel(), yy.ravel(), ".", color="tab:green", ms=4)
    ax.set_title(f"RoIAlign: no rounding; {OUT}×{OUT} bins of {s:.2f} cells,\n"
                 f"2×2 bilinear samples per bin (roi_ops reference, aligned=0)", fontsize=10)
    fig.suptitle(f"{IMAGE}×{IMAGE} image, stride {STRIDE} → {cells}×{cells} feature map, "
                 f"{ROI}×{ROI} RoI (red), {OUT}×{OUT} output", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
