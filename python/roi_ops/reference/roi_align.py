"""RoIAlign (docs/spec.md, "RoIAlign" and "Bilinear sample")."""
from __future__ import annotations

import math

import numpy as np

from ..attributes import DEFAULTS
from ._rois import float32_attr, map_dims, split_rois


def bilinear_axis(pos: np.ndarray, size: int):
    """One axis of the spec's bilinear sample: (lo, hi, w_lo, w_hi, valid) for positions `pos`."""
    valid = (pos >= -1.0) & (pos <= size) & (size > 0)
    p = np.maximum(pos, 0.0)
    lo = np.floor(p)
    at_end = lo >= size - 1
    lo = np.where(at_end, size - 1, lo)
    hi = np.where(at_end, size - 1, lo + 1)
    p = np.where(at_end, lo, p)
    frac = p - lo
    lo_i = np.where(valid, lo, 0).astype(np.int64)
    hi_i = np.where(valid, hi, 0).astype(np.int64)
    return lo_i, hi_i, np.where(valid, 1.0 - frac, 0.0), np.where(valid, frac, 0.0), valid


def axis_samples(c1: float, c2: float, scale: float, aligned: bool, out: int, sampling_ratio: int):
    """Sample positions [out, grid] along one axis, and the grid size."""
    offset = 0.5 if aligned else 0.0
    start = c1 * scale - offset
    extent = c2 * scale - offset - start
    if not aligned:
        extent = max(extent, 1.0)
    bin_size = extent / out
    grid = sampling_ratio if sampling_ratio > 0 else int(math.ceil(extent / out))
    grid = max(grid, 0)
    p = np.arange(out, dtype=np.float64)[:, None]
    i = np.arange(grid, dtype=np.float64)[None, :]
    return start + p * bin_size + (i + 0.5) * bin_size / max(grid, 1), grid


def roi_align(
    X: np.ndarray,
    rois: np.ndarray,
    batch_indices: np.ndarray | None = None,
    *,
    output_height: int = DEFAULTS.RoIAlign.output_height,
    output_width: int = DEFAULTS.RoIAlign.output_width,
    spatial_scale: float = DEFAULTS.RoIAlign.spatial_scale,
    sampling_ratio: int = DEFAULTS.RoIAlign.sampling_ratio,
    mode: str = DEFAULTS.RoIAlign.mode,
    aligned: int = DEFAULTS.RoIAlign.aligned,
) -> np.ndarray:
    """Y [K, C, output_height, output_width] in X's dtype.

    aligned=0, mode="avg" equals ONNX RoiAlign (output_half_pixel) and torchvision
    roi_align(aligned=False); aligned=1 equals half_pixel / torchvision aligned=True.
    mode="max" is the max of the bilinear samples (mmcv pool_mode="max"); "onnx_max" is what
    ONNX Runtime's RoiAlign(mode="max") computes: the max of the weighted corner terms.
    """
    if mode not in ("avg", "max", "onnx_max"):
        raise ValueError(f"mode must be 'avg', 'max' or 'onnx_max'; got {mode!r}")
    N, C, H, W = map_dims(X)
    b, boxes = split_rois(rois, batch_indices, N)
    K = boxes.shape[0]
    oh, ow = int(output_height), int(output_width)
    scale = float32_attr(spatial_scale)
    Y = np.zeros((K, C, oh, ow), dtype=np.float64)
    x64 = X.astype(np.float64)
    for k in range(K):  # one iteration per RoI; everything inside is vectorised
        x1, y1, x2, y2 = boxes[k]
        if not np.all(np.isfinite(boxes[k])):
            Y[k] = np.nan
            continue
        ys, gh = axis_samples(y1, y2, scale, bool(aligned), oh, sampling_ratio)
        xs, gw = axis_samples(x1, x2, scale, bool(aligned), ow, sampling_ratio)
        if gh == 0 or gw == 0 or H == 0 or W == 0:
            continue  # no samples, or all outside the map: zeros
        ylo, yhi, wy_lo, wy_hi, vy = bilinear_axis(ys.reshape(-1), H)
        xlo, xhi, wx_lo, wx_hi, vx = bilinear_axis(xs.reshape(-1), W)
        plane = x64[b[k]]  # [C, H, W]
        if mode == "avg":
            # Bilinear sampling is separable: Y = Ay . plane . Ax^T summed over samples.
            Ay = np.zeros((oh * gh, H))
            np.add.at(Ay, (np.arange(oh * gh), ylo), wy_lo)
            np.add.at(Ay, (np.arange(oh * gh), yhi), wy_hi)
            Ax = np.zeros((ow * gw, W))
            np.add.at(Ax, (np.arange(ow * gw), xlo), wx_lo)
            np.add.at(Ax, (np.arange(ow * gw), xhi), wx_hi)
            Ay = Ay.reshape(oh, gh, H).sum(1)
            Ax = Ax.reshape(ow, gw, W).sum(1)
            # Only the rows and columns some sample touches contribute: crop to them first.
            rows = np.flatnonzero(Ay.any(0))
            cols = np.flatnonzero(Ax.any(0))
            if rows.size and cols.size:
                r, c = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
                Y[k] = np.einsum("ph,chw,qw->cpq", Ay[:, r], plane[:, r, c], Ax[:, c], optimize=True) / max(gh * gw, 1)
            continue
        # Every sample's four weighted corners, [C, oh*gh, ow*gw].
        t00 = plane[:, ylo][:, :, xlo] * (wy_lo[:, None] * wx_lo[None, :])
        t01 = plane[:, ylo][:, :, xhi] * (wy_lo[:, None] * wx_hi[None, :])
        t10 = plane[:, yhi][:, :, xlo] * (wy_hi[:, None] * wx_lo[None, :])
        t11 = plane[:, yhi][:, :, xhi] * (wy_hi[:, None] * wx_hi[None, :])
        if mode == "max":
            v = t00 + t01 + t10 + t11
        else:
            v = np.maximum(np.maximum(t00, t01), np.maximum(t10, t11))
        v = np.where((vy[:, None] & vx[None, :])[None], v, 0.0)  # outside the map: 0
        Y[k] = v.reshape(C, oh, gh, ow, gw).max(axis=(2, 4))
    return Y.astype(X.dtype)
