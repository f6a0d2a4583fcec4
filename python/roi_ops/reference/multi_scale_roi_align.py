"""MultiScaleRoIAlign (docs/spec.md, "MultiScaleRoIAlign"): FPN level assignment, then RoIAlign."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..attributes import DEFAULTS
from ._rois import float32_attr, split_rois
from .roi_align import roi_align


def fpn_levels(
    boxes: np.ndarray,
    spatial_scales: Sequence[float],
    *,
    canonical_scale: float = DEFAULTS.MultiScaleRoIAlign.canonical_scale,
    canonical_level: int = DEFAULTS.MultiScaleRoIAlign.canonical_level,
    eps: float = DEFAULTS.MultiScaleRoIAlign.eps,
    eps_in_log: int = DEFAULTS.MultiScaleRoIAlign.eps_in_log,
) -> np.ndarray:
    """The index into the feature maps (0 = finest) of each box (x1, y1, x2, y2) in image pixels."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    k_min = round(-np.log2(float32_attr(spatial_scales[0])))
    k_max = round(-np.log2(float32_attr(spatial_scales[-1])))
    eps = float32_attr(eps)
    s0 = float32_attr(canonical_scale)
    with np.errstate(all="ignore"):
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
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
    aligned: int = DEFAULTS.MultiScaleRoIAlign.aligned,
    canonical_scale: float = DEFAULTS.MultiScaleRoIAlign.canonical_scale,
    canonical_level: int = DEFAULTS.MultiScaleRoIAlign.canonical_level,
    eps: float = DEFAULTS.MultiScaleRoIAlign.eps,
    eps_in_log: int = DEFAULTS.MultiScaleRoIAlign.eps_in_log,
) -> np.ndarray:
    """Y [K, C, oh, ow] in the order of the input RoIs; maps finest first.

    Defaults equal torchvision MultiScaleRoIAlign. detectron2 ROIPooler: eps=1e-8, eps_in_log=1,
    aligned=1. mmdetection SingleRoIExtractor (finest_scale=56): canonical_scale=56,
    canonical_level=k_min, eps_in_log=1, aligned=1.
    """
    if len(maps) != len(spatial_scales) or not maps:
        raise ValueError(f"{len(spatial_scales)} spatial_scales for {len(maps)} feature maps")
    N, C = maps[0].shape[:2]
    b, boxes = split_rois(rois, batch_indices, N)
    level = fpn_levels(np.where(np.isfinite(boxes), boxes, 0.0), spatial_scales, canonical_scale=canonical_scale,
                       canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log)
    K = boxes.shape[0]
    Y = np.zeros((K, C, int(output_height), int(output_width)))
    for lvl, X in enumerate(maps):
        idx = np.flatnonzero(level == lvl)
        if idx.size:
            Y[idx] = roi_align(X.astype(np.float64), boxes[idx], b[idx], output_height=output_height,
                               output_width=output_width, spatial_scale=spatial_scales[lvl],
                               sampling_ratio=sampling_ratio, mode="avg", aligned=aligned)
    return Y.astype(maps[0].dtype)
