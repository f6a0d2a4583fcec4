"""PSRoIAlign and PSRoIPool (docs/spec.md, "PSRoIAlign, PSRoIPool"): R-FCN's position-sensitive ops."""
from __future__ import annotations

import numpy as np

from ..attributes import DEFAULTS
from ._rois import float32_attr, map_dims, split_rois
from .roi_align import roi_align
from .roi_pool import pool_windows


def _output_channels(C: int, oh: int, ow: int) -> int:
    if C % (oh * ow):
        raise ValueError(f"C = {C} is not a multiple of output_height * output_width = {oh * ow}")
    return C // (oh * ow)


def _pick_bins(full: np.ndarray, co: int, oh: int, ow: int) -> np.ndarray:
    """From every channel at every bin [K, co*oh*ow, oh, ow], keep output channel c at bin (ph, pw)
    = input channel (c*oh + ph)*ow + pw."""
    full = full.reshape(full.shape[0], co, oh, ow, oh, ow)
    ph = np.arange(oh)[:, None]
    pw = np.arange(ow)[None, :]
    return full[:, :, ph, pw, ph, pw]


def ps_roi_align(
    X: np.ndarray,
    rois: np.ndarray,
    batch_indices: np.ndarray | None = None,
    *,
    output_height: int = DEFAULTS.PSRoIAlign.output_height,
    output_width: int = DEFAULTS.PSRoIAlign.output_width,
    spatial_scale: float = DEFAULTS.PSRoIAlign.spatial_scale,
    sampling_ratio: int = DEFAULTS.PSRoIAlign.sampling_ratio,
) -> np.ndarray:
    """Y [K, C/(oh*ow), oh, ow]; equals torchvision.ops.ps_roi_align. Its geometry is RoIAlign's
    with aligned=1 (start = coord*s - 0.5, no minimum size); a RoI without samples gives 0."""
    oh, ow = int(output_height), int(output_width)
    co = _output_channels(X.shape[1], oh, ow)
    full = roi_align(X.astype(np.float64), rois, batch_indices, output_height=oh, output_width=ow,
                     spatial_scale=spatial_scale, sampling_ratio=sampling_ratio, mode="avg", aligned=1)
    return _pick_bins(full, co, oh, ow).astype(X.dtype)


def ps_roi_pool(
    X: np.ndarray,
    rois: np.ndarray,
    batch_indices: np.ndarray | None = None,
    *,
    output_height: int = DEFAULTS.PSRoIPool.output_height,
    output_width: int = DEFAULTS.PSRoIPool.output_width,
    spatial_scale: float = DEFAULTS.PSRoIPool.spatial_scale,
) -> np.ndarray:
    """Y [K, C/(oh*ow), oh, ow]; equals torchvision.ops.ps_roi_pool: rounded corners, extent
    xe - xs (no +1), windows clamped to [0, size - 1], the mean over each window (0 if empty)."""
    N, C, H, W = map_dims(X)
    oh, ow = int(output_height), int(output_width)
    co = _output_channels(C, oh, ow)
    b, boxes = split_rois(rois, batch_indices, N)
    K = boxes.shape[0]
    scale = float32_attr(spatial_scale)
    full = np.zeros((K, C, oh, ow))
    x64 = X.astype(np.float64)
    # Integral images: any window's sum is four lookups.
    integral = np.zeros((N, C, H + 1, W + 1))
    integral[:, :, 1:, 1:] = x64.cumsum(2).cumsum(3)
    for k in range(K):  # one iteration per RoI; everything inside is vectorised
        if not np.all(np.isfinite(boxes[k])):
            full[k] = np.nan
            continue
        if H == 0 or W == 0:
            continue
        x1, y1, x2, y2 = boxes[k]
        h0, h1 = (np.minimum(v, H - 1) for v in pool_windows(y1, y2, scale, oh, H, plus_one=False))
        w0, w1 = (np.minimum(v, W - 1) for v in pool_windows(x1, x2, scale, ow, W, plus_one=False))
        s = integral[b[k]]
        sums = (s[:, h1[:, None], w1[None, :]] - s[:, h0[:, None], w1[None, :]]
                - s[:, h1[:, None], w0[None, :]] + s[:, h0[:, None], w0[None, :]])
        area = ((h1 - h0)[:, None] * (w1 - w0)[None, :]).astype(np.float64)
        full[k] = np.where(area > 0, sums / np.maximum(area, 1), 0.0)
    return _pick_bins(full, co, oh, ow).astype(X.dtype)
