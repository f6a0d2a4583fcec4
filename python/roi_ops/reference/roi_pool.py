"""RoIPool (docs/spec.md, "RoIPool"): Fast R-CNN / Caffe max pooling with rounded coordinates."""
from __future__ import annotations

import numpy as np

from ..attributes import DEFAULTS
from ._rois import float32_attr, map_dims, split_rois


def round_half_away(v: np.ndarray) -> np.ndarray:
    """C's round(): halves go away from zero (numpy's round goes to even)."""
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def pool_windows(c1: float, c2: float, scale: float, out: int, size: int, plus_one: bool = True):
    """[start, end) of each bin's window along one axis, clamped to [0, size]. plus_one=False is
    PSRoIPool's extent (xe - xs instead of xe - xs + 1)."""
    s = int(round_half_away(np.float64(c1) * scale))
    e = int(round_half_away(np.float64(c2) * scale))
    extent = max(e - s + (1 if plus_one else 0), 1)
    p = np.arange(out, dtype=np.int64)
    # bin = extent / out is real; floor and ceil of p * bin computed exactly in integers.
    start = (p * extent) // out + s
    end = -((-(p + 1) * extent) // out) + s
    return np.clip(start, 0, size), np.clip(end, 0, size)


def roi_pool(
    X: np.ndarray,
    rois: np.ndarray,
    batch_indices: np.ndarray | None = None,
    *,
    output_height: int = DEFAULTS.RoIPool.output_height,
    output_width: int = DEFAULTS.RoIPool.output_width,
    spatial_scale: float = DEFAULTS.RoIPool.spatial_scale,
) -> np.ndarray:
    """Y [K, C, output_height, output_width] in X's dtype; equals ONNX MaxRoiPool and
    torchvision.ops.roi_pool. An empty window gives 0."""
    N, C, H, W = map_dims(X)
    b, boxes = split_rois(rois, batch_indices, N)
    K = boxes.shape[0]
    oh, ow = int(output_height), int(output_width)
    scale = float32_attr(spatial_scale)
    Y = np.zeros((K, C, oh, ow), dtype=np.float64)
    x64 = X.astype(np.float64)
    hh = np.arange(H)
    ww = np.arange(W)
    for k in range(K):  # one iteration per RoI; everything inside is vectorised
        if not np.all(np.isfinite(boxes[k])):
            Y[k] = np.nan
            continue
        x1, y1, x2, y2 = boxes[k]
        h0, h1 = pool_windows(y1, y2, scale, oh, H)
        w0, w1 = pool_windows(x1, x2, scale, ow, W)
        mh = (hh[None, :] >= h0[:, None]) & (hh[None, :] < h1[:, None])  # [oh, H]
        mw = (ww[None, :] >= w0[:, None]) & (ww[None, :] < w1[:, None])  # [ow, W]
        plane = x64[b[k]]
        # Separable max: over each column window first, then over each row window.
        cols = np.where(mw[None, None], plane[:, :, None, :], -np.inf).max(axis=3, initial=-np.inf)  # [C,H,ow]
        full = np.where(mh[None, :, :, None], cols[:, None, :, :], -np.inf).max(axis=2, initial=-np.inf)
        empty = ~(mh.any(1)[:, None] & mw.any(1)[None, :])
        Y[k] = np.where(empty[None], 0.0, full)
    return Y.astype(X.dtype)
