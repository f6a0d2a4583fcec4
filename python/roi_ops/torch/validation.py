"""Checks the eager ``roi_ops::*`` ops run before computing, with the library's messages
(ops/ort/validation.cc), so that PyTorch refuses what onnxruntime with the library refuses."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)  # what the library has kernels for


def as_rois(op: str, boxes) -> Tensor:
    """torchvision's two forms of RoIs as one tensor: ``boxes`` as given, or a list of per-image
    boxes [L_i, 4] whose position in the list is the batch index, which become [K, 5] rows as
    torchvision's ``convert_boxes_to_roi_format`` makes them."""
    if isinstance(boxes, Tensor):
        return boxes
    boxes = list(boxes)
    if not boxes:
        raise ValueError(f"{op}: input 'boxes' is an empty list; give one Tensor[L, 4] per image")
    for i, b in enumerate(boxes):
        if not isinstance(b, Tensor) or b.dim() != 2 or b.shape[1] != 4:
            got = f"shape [{','.join(map(str, b.shape))}]" if isinstance(b, Tensor) else type(b).__name__
            raise ValueError(f"{op}: input 'boxes'[{i}] must be a Tensor[L, 4] of one image's boxes; got {got}")
    # This form's nodes are what the models in models/ were exported with.
    index = torch.cat([torch.full((b.shape[0], 1), i, dtype=b.dtype, device=b.device) for i, b in enumerate(boxes)])
    return torch.cat([index, torch.cat(boxes)], dim=1)


def _check_float(op: str, name: str, t: Tensor) -> None:
    if t.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: input '{name}' has element type {t.dtype}; roi_ops takes float16, float32 or "
                        "float64")


def check_types(op: str, x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], x_name: str = "X",
                rois_name: str = "rois", maps=()) -> None:
    """The element types the library takes, in its words (validation.cc): float maps (``maps``:
    X_0 = x, X_1, ...) and RoIs of one type, batch indices int64 (torchvision also refuses RoIs of
    another type than its input). onnxruntime refuses other types when the model loads or runs;
    the fake kernels run this too, so that an export fails before it writes such a model."""
    _check_float(op, x_name, x)
    for i, m in enumerate(maps[1:], 1):  # maps[0] is x
        _check_float(op, f"X_{i}", m)
        if m.dtype != x.dtype:
            raise TypeError(f"{op}: input 'X_{i}' must have the element type of input '{x_name}' ({x.dtype}); "
                            f"got {m.dtype}")
    if rois.dtype != x.dtype:
        raise TypeError(f"{op}: input '{rois_name}' must have the element type of input '{x_name}' ({x.dtype}); "
                        f"got {rois.dtype}")
    if batch_indices is not None and batch_indices.dtype != torch.int64:
        raise TypeError(f"{op}: input 'batch_indices' must be torch.int64; got {batch_indices.dtype}")


def check_batch_indices(op: str, rois: Tensor, batch_indices: Optional[Tensor], n: int) -> None:
    """A batch index, in ``batch_indices`` or in the first column of ``rois``, must be an integer
    in [0, n)."""
    if batch_indices is not None:
        b = batch_indices.to(torch.int64)
        bad = torch.nonzero((b < 0) | (b >= n)).flatten()
        if bad.numel():
            k = int(bad[0])
            raise ValueError(f"{op}: input 'batch_indices'[{k}] = {int(b[k])} is outside [0, N) with N = {n} "
                             f"(from input 'X')")
        return
    if rois.dim() != 2 or rois.shape[1] == 0:
        return  # the shape check names it
    col = rois[:, 0].to(torch.float64)
    not_integer = torch.nonzero(~torch.isfinite(col) | (torch.floor(col) != col)).flatten()
    if not_integer.numel():
        k = int(not_integer[0])
        raise ValueError(f"{op}: input 'rois'[{k},0] (batch index) = {float(col[k]):g} is not an integer")
    outside = torch.nonzero((col < 0) | (col >= n)).flatten()
    if outside.numel():
        k = int(outside[0])
        raise ValueError(f"{op}: input 'rois'[{k},0] (batch index) = {float(col[k]):g} is outside [0, N) with "
                         f"N = {n} (from input 'X')")


def _shape(t: Tensor) -> str:
    return "[" + ",".join(str(int(d)) for d in t.shape) + "]"


def check_roi_inputs(op: str, x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], box_cols: int = 4,
                     x_name: str = "X") -> None:
    """X 4-D, rois [K, box_cols] with batch_indices [K] or [K, box_cols + 1] without (validation.cc)."""
    if x.dim() != 4:
        raise ValueError(f"{op}: input '{x_name}' must be 4-D [N,C,H,W]; got shape {_shape(x)}")
    if rois.dim() != 2 or rois.shape[1] not in (box_cols, box_cols + 1):
        raise ValueError(f"{op}: input 'rois' must be 2-D [K,{box_cols}] (with batch_indices) or [K,{box_cols + 1}] "
                         f"(batch index first); got shape {_shape(rois)}")
    if rois.shape[1] == box_cols and batch_indices is None:
        raise ValueError(f"{op}: input 'rois' has shape {_shape(rois)} (no batch index column), so input "
                         "'batch_indices' [K] is required; it was omitted")
    if rois.shape[1] == box_cols + 1 and batch_indices is not None:
        raise ValueError(f"{op}: input 'rois' has shape {_shape(rois)} (batch index in column 0), so input "
                         f"'batch_indices' must be omitted; got batch_indices of shape {_shape(batch_indices)}")
    if batch_indices is not None:
        if batch_indices.dim() != 1:
            raise ValueError(f"{op}: input 'batch_indices' must be 1-D [K]; got shape {_shape(batch_indices)}")
        if batch_indices.shape[0] != rois.shape[0]:
            raise ValueError(f"{op}: input 'batch_indices' has {batch_indices.shape[0]} entries but input 'rois' has "
                             f"{rois.shape[0]} rows; K must match")


def check_ps_channels(op: str, x: Tensor, output_height: int, output_width: int) -> None:
    bins = output_height * output_width
    if x.shape[1] % bins:
        raise ValueError(f"{op}: input 'X' has C = {x.shape[1]} channels, which is not a multiple of output_height * "
                         f"output_width = {bins}; position-sensitive ops need C = C_out * output_height * "
                         "output_width")


def check_maps(op: str, maps, scales: int) -> None:
    if len(maps) != scales:
        raise ValueError(f"{op}: attribute 'spatial_scales' has {scales} entries but {len(maps)} feature maps "
                         f"(inputs X_0 ... X_{len(maps) - 1}) were given; they must match")
    for i, m in enumerate(maps):
        if m.dim() != 4:
            raise ValueError(f"{op}: input 'X_{i}' must be 4-D [N,C,H,W]; got shape {_shape(m)}")
        if m.shape[:2] != maps[0].shape[:2]:
            raise ValueError(f"{op}: input 'X_{i}' has shape {_shape(m)} but input 'X_0' has N = {maps[0].shape[0]} "
                             f"and C = {maps[0].shape[1]}; every feature map must have the same N and C")


def check_crop_inputs(op: str, x: Tensor, boxes: Tensor, box_indices: Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f"{op}: input 'X' must be 4-D [N,C,H,W]; got shape {_shape(x)}")
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{op}: input 'boxes' must be 2-D [K,4] (normalised y1, x1, y2, x2); got shape "
                         f"{_shape(boxes)}")
    if box_indices.dim() != 1:
        raise ValueError(f"{op}: input 'box_indices' must be 1-D [K]; got shape {_shape(box_indices)}")
    if box_indices.shape[0] != boxes.shape[0]:
        raise ValueError(f"{op}: input 'box_indices' has {box_indices.shape[0]} entries but input 'boxes' has "
                         f"{boxes.shape[0]} rows; K must match")
    if box_indices.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"{op}: input 'box_indices' must be tensor(int32) or tensor(int64); got {box_indices.dtype}")
    n = x.shape[0]
    bad = torch.nonzero((box_indices < 0) | (box_indices >= n)).flatten()
    if bad.numel():
        k = int(bad[0])
        raise ValueError(f"{op}: input 'box_indices'[{k}] = {int(box_indices[k])} is outside [0, N) with N = {n} "
                         "(from input 'X')")
