"""Reading RoIs in either layout of docs/spec.md ("Common rules")."""
from __future__ import annotations

import numpy as np


def map_dims(X: np.ndarray, name: str = "X") -> tuple[int, int, int, int]:
    """(N, C, H, W) of a feature map; raises ValueError when it is not 4-D."""
    shape = np.shape(X)
    if len(shape) != 4:
        raise ValueError(f"{name} must be [N, C, H, W]; got shape {tuple(shape)}")
    return shape


def split_rois(
    rois: np.ndarray, batch_indices: np.ndarray | None, n: int, box_cols: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Returns (batch index per RoI as int64, boxes [K, box_cols] as float64); raises ValueError."""
    rois = np.asarray(rois)
    if rois.ndim != 2 or rois.shape[1] not in (box_cols, box_cols + 1):
        raise ValueError(f"rois must be [K,{box_cols}] or [K,{box_cols + 1}]; got shape {rois.shape}")
    r = rois.astype(np.float64)
    if rois.shape[1] == box_cols:
        if batch_indices is None:
            raise ValueError(f"rois [K,{box_cols}] needs batch_indices")
        b = np.asarray(batch_indices)
        if b.shape != (rois.shape[0],):
            raise ValueError(f"batch_indices must be [{rois.shape[0]}]; got {b.shape}")
        b = b.astype(np.int64)
        boxes = r
    else:
        if batch_indices is not None:
            raise ValueError(f"rois [K,{box_cols + 1}] carries the batch index; batch_indices must be omitted")
        col = r[:, 0]
        if not np.all(np.floor(col) == col):
            raise ValueError("batch index column of rois holds a non-integer")
        b = col.astype(np.int64) if np.all(np.isfinite(col)) else np.full(col.shape, -1, np.int64)
        boxes = r[:, 1:]
    if np.any((b < 0) | (b >= n)):
        raise ValueError(f"batch index outside [0, {n})")
    return b, boxes


def float32_attr(value: float) -> float:
    """ONNX stores float attributes as float32; the reference uses exactly that value."""
    return float(np.float32(value))
