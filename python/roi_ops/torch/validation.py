"""Checks the eager ``roi_ops::*`` ops run before computing, with the library's messages
(ops/ort/validation.cc), so that PyTorch refuses what onnxruntime with the library refuses."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

FLOAT_DTYPES = (torch.float16, torch.float32, torch.float64)  # what the library has kernels for


def check_float(op: str, name: str, t: Tensor) -> None:
    if t.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: input '{name}' has element type {t.dtype}; roi_ops takes float16, float32 or "
                        "float64")


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
