"""MultiScaleRoIAlign and MultiScaleRoIAlignRotated (docs/spec.md): FPN level assignment, then
RoIAlign (RoIAlignRotated) on the RoI's map."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..attributes import DEFAULTS
from ._rois import float32_attr, map_dims, split_rois
from .roi_align import roi_align
from .roi_align_rotated import roi_align_rotated


def fpn_levels(
    boxes: np.ndarray,
    spatial_scales: Sequence[float],
    *,
    canonical_scale: float = DEFAULTS.MultiScaleRoIAlign.canonical_scale,
    canonical_level: int = DEFAULTS.MultiScaleRoIAlign.canonical_level,
    eps: float = DEFAULTS.MultiScaleRoIAlign.eps,
    eps_in_log: int = DEFAULTS.MultiScaleRoIAlign.eps_in_log,
) -> np.ndarray:
    """The index into the feature maps (0 = finest) of each box (x1, y1, x2, y2) in image pixels.

    With non-consecutive spatial_scales an index can reach past the last map (torchvision's rule);
    such a RoI gets a zero block."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return _levels_of_area(area, spatial_scales, canonical_scale=canonical_scale, canonical_level=canonical_level,
                           eps=eps, eps_in_log=eps_in_log)


def _levels_of_area(area: np.ndarray, spatial_scales: Sequence[float], *, canonical_scale: float,
                    canonical_level: int, eps: float, eps_in_log: int) -> np.ndarray:
    k_min = round(-np.log2(float32_attr(spatial_scales[0])))
    k_max = round(-np.log2(float32_attr(spatial_scales[-1])))
    eps = float32_attr(eps)
    s0 = float32_attr(canonical_scale)
    with np.errstate(all="ignore"):
        positive = area > 0  # zero, negative and NaN areas go to the finest level
        ratio = np.sqrt(np.where(positive, area, 1.0)) / s0
        if eps_in_log:
            k = np.floor(canonical_level + np.log2(ratio + eps))
        else:
            k = np.floor(canonical_level + np.log2(ratio) + eps)
    k = np.where(positive, np.clip(k, k_min, k_max), k_min)
    return (k - k_min).astype(np.int64)


def multi_scale_roi_align(
    rois: np.ndarray,
    batch_indices: np.ndarray | None,
    *maps: np.ndarray,
    spatial_scales: Sequence[float],
    output_height: int = DEFAULTS.MultiScaleRoIAlign.output_height,
    output_width: int = DEFAULTS.MultiScaleRoIAlign.output_width,
    sampling_ratio: int = DEFAULTS.MultiScaleRoIAlign.sampling_ratio,
    mode: str = DEFAULTS.MultiScaleRoIAlign.mode,
    aligned: int = DEFAULTS.MultiScaleRoIAlign.aligned,
    canonical_scale: float = DEFAULTS.MultiScaleRoIAlign.canonical_scale,
    canonical_level: int = DEFAULTS.MultiScaleRoIAlign.canonical_level,
    eps: float = DEFAULTS.MultiScaleRoIAlign.eps,
    eps_in_log: int = DEFAULTS.MultiScaleRoIAlign.eps_in_log,
    roi_scale_factor: float = DEFAULTS.MultiScaleRoIAlign.roi_scale_factor,
) -> np.ndarray:
    """Y [K, C, oh, ow] in the order of the input RoIs; maps finest first.

    Defaults equal torchvision MultiScaleRoIAlign. detectron2 ROIPooler: eps=1e-8, eps_in_log=1,
    aligned=1. mmdetection SingleRoIExtractor (finest_scale=56): canonical_scale=56,
    canonical_level=k_min, eps_in_log=1, aligned=1. roi_scale_factor scales each box about its
    centre after its level is chosen (mmdetection's roi_rescale).
    """
    N, C = _check_maps(maps, spatial_scales)
    b, boxes = split_rois(rois, batch_indices, N)
    level = fpn_levels(np.where(np.isfinite(boxes), boxes, 0.0), spatial_scales, canonical_scale=canonical_scale,
                       canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log)
    f = float32_attr(roi_scale_factor)
    if f != 1.0:
        centre = (boxes[:, :2] + boxes[:, 2:]) * 0.5
        half = (boxes[:, 2:] - boxes[:, :2]) * f * 0.5
        boxes = np.concatenate([centre - half, centre + half], axis=1)
    return _per_level(maps, level, output_height, output_width, lambda X, idx, scale: roi_align(
        X, boxes[idx], b[idx], output_height=output_height, output_width=output_width, spatial_scale=scale,
        sampling_ratio=sampling_ratio, mode=mode, aligned=aligned), spatial_scales)


def multi_scale_roi_align_rotated(
    rois: np.ndarray,
    batch_indices: np.ndarray | None,
    *maps: np.ndarray,
    spatial_scales: Sequence[float],
    output_height: int = DEFAULTS.MultiScaleRoIAlignRotated.output_height,
    output_width: int = DEFAULTS.MultiScaleRoIAlignRotated.output_width,
    sampling_ratio: int = DEFAULTS.MultiScaleRoIAlignRotated.sampling_ratio,
    aligned: int = DEFAULTS.MultiScaleRoIAlignRotated.aligned,
    clockwise: int = DEFAULTS.MultiScaleRoIAlignRotated.clockwise,
    angle_unit: str = DEFAULTS.MultiScaleRoIAlignRotated.angle_unit,
    canonical_scale: float = DEFAULTS.MultiScaleRoIAlignRotated.canonical_scale,
    canonical_level: int = DEFAULTS.MultiScaleRoIAlignRotated.canonical_level,
    eps: float = DEFAULTS.MultiScaleRoIAlignRotated.eps,
    eps_in_log: int = DEFAULTS.MultiScaleRoIAlignRotated.eps_in_log,
    roi_scale_factor: float = DEFAULTS.MultiScaleRoIAlignRotated.roi_scale_factor,
) -> np.ndarray:
    """Y [K, C, oh, ow] for rotated RoIs (cx, cy, w, h, angle); the level of a RoI comes from
    sqrt(w * h) as MultiScaleRoIAlign's from its box. mmrotate's RotatedSingleRoIExtractor:
    canonical_scale=56, canonical_level=k_min, eps_in_log=1, angle_unit="radians"."""
    N, C = _check_maps(maps, spatial_scales)
    b, boxes = split_rois(rois, batch_indices, N, box_cols=5)
    finite = np.where(np.isfinite(boxes), boxes, 0.0)
    level = _levels_of_area(finite[:, 2] * finite[:, 3], spatial_scales, canonical_scale=canonical_scale,
                            canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log)
    boxes = boxes.copy()
    boxes[:, 2:4] *= float32_attr(roi_scale_factor)
    return _per_level(maps, level, output_height, output_width, lambda X, idx, scale: roi_align_rotated(
        X, boxes[idx], b[idx], output_height=output_height, output_width=output_width, spatial_scale=scale,
        sampling_ratio=sampling_ratio, aligned=aligned, clockwise=clockwise, angle_unit=angle_unit), spatial_scales)


def _check_maps(maps, spatial_scales) -> tuple[int, int]:
    if len(maps) != len(spatial_scales) or not maps:
        raise ValueError(f"{len(spatial_scales)} spatial_scales for {len(maps)} feature maps")
    dims = [map_dims(m, f"feature map {i}") for i, m in enumerate(maps)]
    return dims[0][:2]


def _per_level(maps, level, output_height, output_width, pool, spatial_scales) -> np.ndarray:
    """Y with pool(X_l as float64, RoI indices of level l, scale_l) in the rows of each level's
    RoIs; zeros for a RoI whose level has no map."""
    C = maps[0].shape[1]
    Y = np.zeros((level.shape[0], C, int(output_height), int(output_width)))
    for lvl, X in enumerate(maps):
        idx = np.flatnonzero(level == lvl)
        if idx.size:
            Y[idx] = pool(X.astype(np.float64), idx, spatial_scales[lvl])
    return Y.astype(maps[0].dtype)
