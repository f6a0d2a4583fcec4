"""RoIAlignRotated (docs/spec.md, "RoIAlignRotated" and "Bilinear sample")."""
from __future__ import annotations

import math

import numpy as np

from ..attributes import DEFAULTS
from ._rois import float32_attr, map_dims, split_rois
from .roi_align import bilinear_axis


def _box_frame_samples(extent: float, out: int, sampling_ratio: int):
    """Box-frame sample offsets [out, grid] from -extent/2, and the grid size."""
    grid = sampling_ratio if sampling_ratio > 0 else max(int(math.ceil(extent / out)), 0)
    bin_size = extent / out
    p = np.arange(out, dtype=np.float64)[:, None]
    i = np.arange(grid, dtype=np.float64)[None, :]
    return -extent / 2 + p * bin_size + (i + 0.5) * bin_size / max(grid, 1), grid


def sample_points(box, scale: float, oh: int, ow: int, sampling_ratio: int, aligned: int, clockwise: int,
                  angle_unit: str):
    """Map-frame sample positions (ys, xs), bin-major ([oh, gh, ow, gw] flattened), of one box
    (cx, cy, w, h, angle), and the grid sizes gh, gw."""
    offset = 0.5 if aligned else 0.0
    cx, cy, w, h, angle = box
    cx, cy, w, h = cx * scale - offset, cy * scale - offset, w * scale, h * scale
    if not aligned:
        w, h = max(w, 1.0), max(h, 1.0)
    theta = angle if angle_unit == "radians" else angle * math.pi / 180
    if clockwise:
        theta = -theta
    yy, gh = _box_frame_samples(h, oh, sampling_ratio)
    xx, gw = _box_frame_samples(w, ow, sampling_ratio)
    yy = yy[:, :, None, None]  # [oh, gh, 1, 1]
    xx = xx[None, None]        # [1, 1, ow, gw]
    ys = (yy * math.cos(theta) - xx * math.sin(theta) + cy).reshape(-1)
    xs = (yy * math.sin(theta) + xx * math.cos(theta) + cx).reshape(-1)
    return ys, xs, gh, gw


def roi_align_rotated(
    X: np.ndarray,
    rois: np.ndarray,
    batch_indices: np.ndarray | None = None,
    *,
    output_height: int = DEFAULTS.RoIAlignRotated.output_height,
    output_width: int = DEFAULTS.RoIAlignRotated.output_width,
    spatial_scale: float = DEFAULTS.RoIAlignRotated.spatial_scale,
    sampling_ratio: int = DEFAULTS.RoIAlignRotated.sampling_ratio,
    aligned: int = DEFAULTS.RoIAlignRotated.aligned,
    clockwise: int = DEFAULTS.RoIAlignRotated.clockwise,
    angle_unit: str = DEFAULTS.RoIAlignRotated.angle_unit,
) -> np.ndarray:
    """Y [K, C, oh, ow] for rotated boxes (cx, cy, w, h, angle).

    The defaults equal detectron2 ROIAlignRotated (degrees, counter-clockwise, aligned);
    angle_unit="radians" with aligned/clockwise as set equals mmcv roi_align_rotated.
    """
    if angle_unit not in ("degrees", "radians"):
        raise ValueError(f"angle_unit must be 'degrees' or 'radians'; got {angle_unit!r}")
    N, C, H, W = map_dims(X)
    b, boxes = split_rois(rois, batch_indices, N, box_cols=5)
    K = boxes.shape[0]
    oh, ow = int(output_height), int(output_width)
    scale = float32_attr(spatial_scale)
    Y = np.zeros((K, C, oh, ow))
    x64 = X.astype(np.float64)
    for k in range(K):  # one iteration per RoI; everything inside is vectorised
        if not np.all(np.isfinite(boxes[k])):
            Y[k] = np.nan
            continue
        ys, xs, gh, gw = sample_points(boxes[k], scale, oh, ow, sampling_ratio, aligned, clockwise, angle_unit)
        if gh == 0 or gw == 0 or H == 0 or W == 0:
            continue
        ylo, yhi, wy_lo, wy_hi, vy = bilinear_axis(ys, H)
        xlo, xhi, wx_lo, wx_hi, vx = bilinear_axis(xs, W)
        plane = x64[b[k]]
        v = (plane[:, ylo, xlo] * (wy_lo * wx_lo) + plane[:, ylo, xhi] * (wy_lo * wx_hi)
             + plane[:, yhi, xlo] * (wy_hi * wx_lo) + plane[:, yhi, xhi] * (wy_hi * wx_hi))
        v = np.where(vy & vx, v, 0.0).reshape(C, oh, gh, ow, gw)
        Y[k] = v.sum(axis=(2, 4)) / max(gh * gw, 1)
    return Y.astype(X.dtype)
