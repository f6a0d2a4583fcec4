"""The figure behind `roi-ops explain`: RoI pooling against RoI align on the textbook example
(800×800 image, stride 32 → 25×25 feature map, a 665×665 RoI, 7×7 output).

Three panels. The textbook RoIPool quantizes twice: the RoI edge 665/32 = 20.78 feature cells
becomes 20, each of the 7 bins 20/7 = 2.86 cells becomes 2, so the pooled cells cover 14×14.
What roi_ops' RoIPool computes (as torchvision's roi_pool and ONNX MaxRoiPool, Fast R-CNN's
Caffe kernel) differs: it rounds the corners (20.78 → 21), adds one cell (22), and gives bin p the
cells [floor(p·22/7), ceil((p+1)·22/7)), 3 or 4 cells that overlap their neighbours. RoIAlign keeps
20.78 and 2.97-cell bins and reads bilinear samples at real positions. The last two panels are
drawn from the NumPy reference's own window and sample geometry, which the tests compare with the
library's outputs.
"""
from __future__ import annotations

import numpy as np

from ._files import writing

IMAGE, STRIDE, ROI, OUT = 800, 32, 665, 7
CELLS = IMAGE // STRIDE


def textbook_numbers() -> dict:
    edge = ROI / STRIDE
    return {"roi_cells": edge, "roi_cells_quantized": int(np.floor(edge)), "bin_cells": np.floor(edge) / OUT,
            "bin_cells_quantized": int(np.floor(np.floor(edge) / OUT)), "align_bin_cells": edge / OUT}


def pool_windows() -> tuple[np.ndarray, np.ndarray]:
    """[start, end) feature cells of each of the OUT bins along one axis, as roi_ops RoIPool
    reads them (the reference's window rule)."""
    from .reference.roi_pool import pool_windows as windows

    return windows(0.0, float(ROI), 1.0 / STRIDE, OUT, CELLS)


def align_samples(sampling_ratio: int = 2) -> np.ndarray:
    """Sample positions [OUT * sampling_ratio] along one axis, in feature cells, from the reference."""
    from .reference.roi_align import axis_samples

    pos, _ = axis_samples(0.0, float(ROI), 1.0 / STRIDE, False, OUT, sampling_ratio)
    return pos.reshape(-1)


def _grid(ax, edge: float) -> None:
    from matplotlib.patches import Rectangle

    ax.set_xlim(-0.5, 22.5)
    ax.set_ylim(22.5, -0.5)
    ax.set_aspect("equal")
    for i in range(CELLS + 1):
        ax.axhline(i, color="0.85", lw=0.6)
        ax.axvline(i, color="0.85", lw=0.6)
    ax.add_patch(Rectangle((0, 0), edge, edge, fill=False, ec="tab:red", lw=2))
    ax.set_xticks([])
    ax.set_yticks([])


def draw(path: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    n = textbook_numbers()
    fig, axes = plt.subplots(1, 3, figsize=(17, 6.4))
    for ax in axes:
        _grid(ax, n["roi_cells"])

    q, b = n["roi_cells_quantized"], n["bin_cells_quantized"]
    ax = axes[0]
    ax.add_patch(Rectangle((0, 0), q, q, fill=False, ec="tab:blue", lw=2, ls="--"))
    for i in range(OUT):
        for j in range(OUT):
            ax.add_patch(Rectangle((j * b, i * b), b, b, fc="tab:blue", alpha=0.25 if (i + j) % 2 else 0.45))
    ax.set_title(f"Textbook RoIPool (the usual illustration): {n['roi_cells']:.2f} → {q} cells,\n"
                 f"bins {q}/{OUT} = {n['bin_cells']:.2f} → {b}: {OUT}×{OUT} bins of {b}×{b} "
                 f"cover {OUT * b}×{OUT * b}",
                 fontsize=10)

    start, end = pool_windows()
    ax = axes[1]
    covered = int(end[-1] - start[0])
    ax.add_patch(Rectangle((start[0], start[0]), covered, covered, fill=False, ec="tab:purple", lw=2, ls="--"))
    for i in range(OUT):  # every bin outlined, every other one shaded: the windows overlap
        for j in range(OUT):
            shaded = i % 2 == 0 and j % 2 == 0
            ax.add_patch(Rectangle((start[j], start[i]), end[j] - start[j], end[i] - start[i], fc="tab:purple",
                                   alpha=0.35 if shaded else 1.0, fill=shaded, ec="tab:purple", lw=0.7))
    sizes = sorted({int(e - s) for s, e in zip(start, end)})
    ax.set_title(f"roi_ops RoIPool (= torchvision roi_pool, ONNX MaxRoiPool): round({n['roi_cells']:.2f}) + 1 = "
                 f"{covered} cells,\nbin p reads [floor(p·{covered}/{OUT}), ceil((p+1)·{covered}/{OUT})): "
                 f"{' or '.join(map(str, sizes))} cells, overlapping (every other bin shaded)", fontsize=10)

    ax = axes[2]
    s = n["align_bin_cells"]
    for i in range(1, OUT):
        ax.axhline(i * s, xmax=(n["roi_cells"] + 0.5) / 23, color="tab:green", lw=0.8)
        ax.axvline(i * s, ymin=1 - (n["roi_cells"] + 0.5) / 23, color="tab:green", lw=0.8)
    pos = align_samples()
    yy, xx = np.meshgrid(pos, pos, indexing="ij")
    ax.plot(xx.ravel(), yy.ravel(), ".", color="tab:green", ms=4)
    ax.set_title(f"roi_ops RoIAlign: no rounding; {OUT}×{OUT} bins of {s:.2f} cells,\n"
                 f"2×2 bilinear samples per bin (aligned=0, sampling_ratio=2)", fontsize=10)
    fig.suptitle(f"{IMAGE}×{IMAGE} image, stride {STRIDE} → {CELLS}×{CELLS} feature map, "
                 f"{ROI}×{ROI} RoI (red), {OUT}×{OUT} output", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    with writing(path):
        fig.savefig(path, dpi=100, format="png")  # the path as given: with no extension matplotlib would add .png
    plt.close(fig)
    return path
