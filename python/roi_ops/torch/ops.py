"""The roi_ops operators as PyTorch custom ops (``torch.ops.roi_ops.*``), computed by the NumPy
reference in eager mode (``eager.py``), with fake (meta) kernels so that ``torch.export`` and the
ONNX exporters can trace them. The fake kernels check the element types (shapes may be symbolic
there), so that an export with types onnxruntime would refuse fails with the eager op's message.
The ops have no gradient; their backward says so."""
from __future__ import annotations

from functools import partial
from typing import List, Optional

import torch
from torch import Tensor

from . import eager as F
from .validation import check_types

LIB = "roi_ops"


def _empty(x: Tensor, k: int, c, oh: int, ow: int) -> Tensor:
    return x.new_empty((k, c, oh, ow))


def _fake(custom, op: str):
    """Registers the decorated function as ``custom``'s fake kernel, called with the op type
    ``op`` first (for its messages), and a backward that says why there is none (in place of
    torch's advice to register one)."""
    def backward(ctx, *grads):
        raise RuntimeError(f"{op}: roi_ops' PyTorch ops have no gradient; they are for export and inference (eager "
                           "mode runs the NumPy reference); train with torchvision.ops")

    def register(fake):
        custom.register_fake(partial(fake, op))
        custom.register_autograd(backward)
        return fake

    return register


@torch.library.custom_op(f"{LIB}::roi_align", mutates_args=())
def roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], output_height: int, output_width: int,
              spatial_scale: float, sampling_ratio: int, mode: str, aligned: int) -> Tensor:
    return F.roi_align(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio, mode,
                       aligned)


@_fake(roi_align, "RoIAlign")
def _(op, x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio, mode, aligned):
    check_types(op, x, rois, batch_indices)
    return _empty(x, rois.shape[0], x.shape[1], output_height, output_width)


@torch.library.custom_op(f"{LIB}::roi_pool", mutates_args=())
def roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], output_height: int, output_width: int,
             spatial_scale: float) -> Tensor:
    return F.roi_pool(x, rois, batch_indices, output_height, output_width, spatial_scale)


@_fake(roi_pool, "RoIPool")
def _(op, x, rois, batch_indices, output_height, output_width, spatial_scale):
    check_types(op, x, rois, batch_indices)
    return _empty(x, rois.shape[0], x.shape[1], output_height, output_width)


@torch.library.custom_op(f"{LIB}::ps_roi_align", mutates_args=())
def ps_roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], output_height: int, output_width: int,
                 spatial_scale: float, sampling_ratio: int) -> Tensor:
    return F.ps_roi_align(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio)


@_fake(ps_roi_align, "PSRoIAlign")
def _(op, x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio):
    check_types(op, x, rois, batch_indices)
    return _empty(x, rois.shape[0], x.shape[1] // (output_height * output_width), output_height, output_width)


@torch.library.custom_op(f"{LIB}::ps_roi_pool", mutates_args=())
def ps_roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], output_height: int, output_width: int,
                spatial_scale: float) -> Tensor:
    return F.ps_roi_pool(x, rois, batch_indices, output_height, output_width, spatial_scale)


@_fake(ps_roi_pool, "PSRoIPool")
def _(op, x, rois, batch_indices, output_height, output_width, spatial_scale):
    check_types(op, x, rois, batch_indices)
    return _empty(x, rois.shape[0], x.shape[1] // (output_height * output_width), output_height, output_width)


@torch.library.custom_op(f"{LIB}::roi_align_rotated", mutates_args=())
def roi_align_rotated(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor], output_height: int,
                      output_width: int, spatial_scale: float, sampling_ratio: int, aligned: int, clockwise: int,
                      angle_unit: str) -> Tensor:
    return F.roi_align_rotated(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio,
                               aligned, clockwise, angle_unit)


@_fake(roi_align_rotated, "RoIAlignRotated")
def _(op, x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio, aligned, clockwise,
      angle_unit):
    check_types(op, x, rois, batch_indices)
    return _empty(x, rois.shape[0], x.shape[1], output_height, output_width)


@torch.library.custom_op(f"{LIB}::multi_scale_roi_align", mutates_args=())
def multi_scale_roi_align(rois: Tensor, batch_indices: Optional[Tensor], maps: List[Tensor],
                          spatial_scales: List[float], output_height: int, output_width: int, sampling_ratio: int,
                          mode: str, aligned: int, canonical_scale: float, canonical_level: int, eps: float,
                          eps_in_log: int, roi_scale_factor: float) -> Tensor:
    return F.multi_scale_roi_align(rois, batch_indices, maps, spatial_scales, output_height, output_width,
                                   sampling_ratio, mode, aligned, canonical_scale, canonical_level, eps, eps_in_log,
                                   roi_scale_factor)


@_fake(multi_scale_roi_align, "MultiScaleRoIAlign")
def _(op, rois, batch_indices, maps, spatial_scales, output_height, output_width, *rest):
    check_types(op, maps[0], rois, batch_indices, x_name="X_0", maps=maps)
    return _empty(maps[0], rois.shape[0], maps[0].shape[1], output_height, output_width)


@torch.library.custom_op(f"{LIB}::multi_scale_roi_align_rotated", mutates_args=())
def multi_scale_roi_align_rotated(rois: Tensor, batch_indices: Optional[Tensor], maps: List[Tensor],
                                  spatial_scales: List[float], output_height: int, output_width: int,
                                  sampling_ratio: int, aligned: int, clockwise: int, angle_unit: str,
                                  canonical_scale: float, canonical_level: int, eps: float, eps_in_log: int,
                                  roi_scale_factor: float) -> Tensor:
    return F.multi_scale_roi_align_rotated(rois, batch_indices, maps, spatial_scales, output_height, output_width,
                                           sampling_ratio, aligned, clockwise, angle_unit, canonical_scale,
                                           canonical_level, eps, eps_in_log, roi_scale_factor)


@_fake(multi_scale_roi_align_rotated, "MultiScaleRoIAlignRotated")
def _(op, rois, batch_indices, maps, spatial_scales, output_height, output_width, *rest):
    check_types(op, maps[0], rois, batch_indices, x_name="X_0", maps=maps)
    return _empty(maps[0], rois.shape[0], maps[0].shape[1], output_height, output_width)


@torch.library.custom_op(f"{LIB}::crop_and_resize", mutates_args=())
def crop_and_resize(x: Tensor, boxes: Tensor, box_indices: Tensor, crop_height: int, crop_width: int, method: str,
                    extrapolation_value: float) -> Tensor:
    return F.crop_and_resize(x, boxes, box_indices, crop_height, crop_width, method, extrapolation_value)


@_fake(crop_and_resize, "CropAndResize")
def _(op, x, boxes, box_indices, crop_height, crop_width, method, extrapolation_value):
    check_types(op, x, boxes, None, rois_name="boxes")
    return _empty(x, boxes.shape[0], x.shape[1], crop_height, crop_width)

