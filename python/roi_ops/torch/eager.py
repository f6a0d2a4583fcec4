"""What ``torch.ops.roi_ops.*`` compute in eager mode: the NumPy reference (``roi_ops.reference``,
float64 inside, written from docs/spec.md), so that PyTorch, the ONNX evaluator and the tests share
one copy of the formulas. Inputs are checked first with the library's messages (validation.py);
the output has the input's dtype and lives on its device."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from .. import reference
from .validation import (check_batch_indices, check_crop_inputs, check_maps, check_ps_channels,
                         check_roi_inputs, check_types)


def _array(t: Optional[Tensor]) -> Optional[np.ndarray]:
    return None if t is None else t.detach().cpu().numpy()


def _tensor(y: np.ndarray, like: Tensor) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(y)).to(device=like.device, dtype=like.dtype)


def _run_box_op(op: str, fn: Callable, x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], *,
                box_cols: int = 4, position_sensitive: bool = False, **attrs) -> Tensor:
    check_types(op, x, rois, batch_indices)
    check_roi_inputs(op, x, rois, batch_indices, box_cols)
    if position_sensitive:
        check_ps_channels(op, x, attrs["output_height"], attrs["output_width"])
    check_batch_indices(op, rois, batch_indices, x.shape[0])
    return _tensor(fn(_array(x), _array(rois), _array(batch_indices), **attrs), x)


def roi_align(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio, mode,
              aligned) -> Tensor:
    return _run_box_op("RoIAlign", reference.roi_align, x, rois, batch_indices, output_height=output_height,
                       output_width=output_width, spatial_scale=spatial_scale, sampling_ratio=sampling_ratio,
                       mode=mode, aligned=aligned)


def roi_pool(x, rois, batch_indices, output_height, output_width, spatial_scale) -> Tensor:
    return _run_box_op("RoIPool", reference.roi_pool, x, rois, batch_indices, output_height=output_height,
                       output_width=output_width, spatial_scale=spatial_scale)


def ps_roi_align(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio) -> Tensor:
    return _run_box_op("PSRoIAlign", reference.ps_roi_align, x, rois, batch_indices, position_sensitive=True,
                       output_height=output_height,
                       output_width=output_width, spatial_scale=spatial_scale, sampling_ratio=sampling_ratio)


def ps_roi_pool(x, rois, batch_indices, output_height, output_width, spatial_scale) -> Tensor:
    return _run_box_op("PSRoIPool", reference.ps_roi_pool, x, rois, batch_indices, position_sensitive=True,
                       output_height=output_height,
                       output_width=output_width, spatial_scale=spatial_scale)


def roi_align_rotated(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio, aligned,
                      clockwise, angle_unit) -> Tensor:
    return _run_box_op("RoIAlignRotated", reference.roi_align_rotated, x, rois, batch_indices, box_cols=5,
                       output_height=output_height, output_width=output_width, spatial_scale=spatial_scale,
                       sampling_ratio=sampling_ratio, aligned=aligned, clockwise=clockwise, angle_unit=angle_unit)


def multi_scale_roi_align(rois: Tensor, batch_indices: Optional[Tensor], maps: Sequence[Tensor], spatial_scales,
                          output_height, output_width, sampling_ratio, mode, aligned, canonical_scale, canonical_level,
                          eps, eps_in_log, roi_scale_factor) -> Tensor:
    return _run_multi_scale_op(
        "MultiScaleRoIAlign", reference.multi_scale_roi_align, rois, batch_indices, maps, 4,
        spatial_scales=list(spatial_scales), output_height=output_height, output_width=output_width,
        sampling_ratio=sampling_ratio, mode=mode, aligned=aligned, canonical_scale=canonical_scale,
        canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log, roi_scale_factor=roi_scale_factor)


def multi_scale_roi_align_rotated(rois: Tensor, batch_indices: Optional[Tensor], maps: Sequence[Tensor],
                                  spatial_scales, output_height, output_width, sampling_ratio, aligned, clockwise,
                                  angle_unit, canonical_scale, canonical_level, eps, eps_in_log,
                                  roi_scale_factor) -> Tensor:
    return _run_multi_scale_op(
        "MultiScaleRoIAlignRotated", reference.multi_scale_roi_align_rotated, rois, batch_indices, maps, 5,
        spatial_scales=list(spatial_scales), output_height=output_height, output_width=output_width,
        sampling_ratio=sampling_ratio, aligned=aligned, clockwise=clockwise, angle_unit=angle_unit,
        canonical_scale=canonical_scale, canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log,
        roi_scale_factor=roi_scale_factor)


def _run_multi_scale_op(op: str, fn, rois, batch_indices, maps, box_cols: int, **attrs) -> Tensor:
    check_maps(op, maps, len(attrs["spatial_scales"]))
    check_types(op, maps[0], rois, batch_indices, x_name="X_0", maps=maps)
    check_roi_inputs(op, maps[0], rois, batch_indices, box_cols, x_name="X_0")
    check_batch_indices(op, rois, batch_indices, maps[0].shape[0])
    y = fn(_array(rois), _array(batch_indices), *[_array(m) for m in maps], **attrs)
    return _tensor(y, maps[0])


def crop_and_resize(x, boxes, box_indices, crop_height, crop_width, method, extrapolation_value) -> Tensor:
    check_types("CropAndResize", x, boxes, None, rois_name="boxes")
    check_crop_inputs("CropAndResize", x, boxes, box_indices)
    y = reference.crop_and_resize(_array(x), _array(boxes), _array(box_indices), crop_height=crop_height,
                                  crop_width=crop_width, method=method, extrapolation_value=extrapolation_value)
    return _tensor(y, x)
