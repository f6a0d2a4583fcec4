"""CropAndResize (docs/spec.md, "CropAndResize"): tf.image.crop_and_resize, NCHW."""
from __future__ import annotations

import numpy as np

from ..attributes import DEFAULTS
from ._rois import float32_attr, map_dims
from .roi_pool import round_half_away


def crop_positions(c1: float, c2: float, size: int, out: int) -> np.ndarray:
    """Sample positions of `out` crop rows (or columns) along an axis of `size` pixels."""
    if out > 1:
        return c1 * (size - 1) + np.arange(out) * ((c2 - c1) * (size - 1) / (out - 1))
    return np.array([0.5 * (c1 + c2) * (size - 1)])


def crop_and_resize(
    X: np.ndarray,
    boxes: np.ndarray,
    box_indices: np.ndarray,
    *,
    crop_height: int,
    crop_width: int,
    method: str = DEFAULTS.CropAndResize.method,
    extrapolation_value: float = DEFAULTS.CropAndResize.extrapolation_value,
) -> np.ndarray:
    """Y [K, C, crop_height, crop_width]: tf.image.crop_and_resize(image NHWC, boxes (y1, x1, y2, x2)
    normalised, box_indices, (crop_height, crop_width)) transposed to NCHW."""
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"method must be 'bilinear' or 'nearest'; got {method!r}")
    N, C, H, W = map_dims(X)
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    bi = np.asarray(box_indices).astype(np.int64)
    if bi.shape != (boxes.shape[0],) or np.any((bi < 0) | (bi >= N)):
        raise ValueError(f"box_indices must be [K] with values in [0, {N})")
    ext = float32_attr(extrapolation_value)
    Y = np.zeros((boxes.shape[0], C, crop_height, crop_width))
    x64 = X.astype(np.float64)
    for k in range(boxes.shape[0]):  # one iteration per box; everything inside is vectorised
        if not np.all(np.isfinite(boxes[k])):
            Y[k] = np.nan
            continue
        if H == 0 or W == 0:  # every point lies outside an empty map
            Y[k] = ext
            continue
        y1, x1, y2, x2 = boxes[k]
        with np.errstate(invalid="ignore", over="ignore"):
            in_y = crop_positions(y1, y2, H, crop_height)
            in_x = crop_positions(x1, x2, W, crop_width)
            vy = (in_y >= 0) & (in_y <= H - 1)  # NaN positions are outside too
            vx = (in_x >= 0) & (in_x <= W - 1)
        in_y = np.where(vy, in_y, 0.0)
        in_x = np.where(vx, in_x, 0.0)
        img = x64[bi[k]]
        if method == "nearest":
            ry = round_half_away(in_y).astype(np.int64)
            rx = round_half_away(in_x).astype(np.int64)
            v = img[:, ry][:, :, rx]
        else:
            top, bottom = np.floor(in_y).astype(np.int64), np.ceil(in_y).astype(np.int64)
            left, right = np.floor(in_x).astype(np.int64), np.ceil(in_x).astype(np.int64)
            yl = (in_y - top)[:, None]
            xl = (in_x - left)[None, :]
            tl, tr = img[:, top][:, :, left], img[:, top][:, :, right]
            bl, br = img[:, bottom][:, :, left], img[:, bottom][:, :, right]
            upper = tl + (tr - tl) * xl
            lower = bl + (br - bl) * xl
            v = upper + (lower - upper) * yl
        Y[k] = np.where((vy[:, None] & vx[None, :])[None], v, ext)
    return Y.astype(X.dtype)
