"""roi_ops for PyTorch: the operators as custom ops (``torch.ops.roi_ops.*``) with pure-PyTorch
implementations that match docs/spec.md, and the translations that make ``torch.onnx.export`` emit
roi_ops nodes (dynamo and TorchScript exporters), also for torchvision's RoI ops and
``MultiScaleRoIAlign``::

    import roi_ops.torch as rt
    y = rt.roi_align(x, rois, output_height=7, output_width=7, spatial_scale=1 / 16)
    onnx_model = rt.export(model, (x, rois))            # dynamo exporter
    onnx_model = rt.export(model, (x, rois), dynamo=False)  # TorchScript exporter
"""
from __future__ import annotations

from typing import Optional, Sequence

from torch import Tensor

from . import ops
from .export import custom_translation_table, export, register_torchscript_symbolics
from .modules import MultiScaleRoIAlign, replace_torchvision_poolers


def roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *, output_height: int = 1,
              output_width: int = 1, spatial_scale: float = 1.0, sampling_ratio: int = 0, mode: str = "avg",
              aligned: int = 0) -> Tensor:
    """roi_ops RoIAlign; ``aligned=1`` equals torchvision ``roi_align(aligned=True)``."""
    return ops.roi_align(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio, mode,
                         int(aligned))


def roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *, output_height: int = 1,
             output_width: int = 1, spatial_scale: float = 1.0) -> Tensor:
    """roi_ops RoIPool; equals torchvision ``roi_pool`` and ONNX ``MaxRoiPool``."""
    return ops.roi_pool(x, rois, batch_indices, output_height, output_width, spatial_scale)


def ps_roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *, output_height: int = 1,
                 output_width: int = 1, spatial_scale: float = 1.0, sampling_ratio: int = 0) -> Tensor:
    """roi_ops PSRoIAlign; equals torchvision ``ps_roi_align``."""
    return ops.ps_roi_align(x, rois, batch_indices, output_height, output_width, spatial_scale, sampling_ratio)


def ps_roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *, output_height: int = 1,
                output_width: int = 1, spatial_scale: float = 1.0) -> Tensor:
    """roi_ops PSRoIPool; equals torchvision ``ps_roi_pool``."""
    return ops.ps_roi_pool(x, rois, batch_indices, output_height, output_width, spatial_scale)


def roi_align_rotated(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *, output_height: int = 1,
                      output_width: int = 1, spatial_scale: float = 1.0, sampling_ratio: int = 0,
                      aligned: int = 1, clockwise: int = 0, angle_unit: str = "degrees") -> Tensor:
    """roi_ops RoIAlignRotated; defaults equal detectron2 ``ROIAlignRotated``."""
    return ops.roi_align_rotated(x, rois, batch_indices, output_height, output_width, spatial_scale,
                                 sampling_ratio, int(aligned), int(clockwise), angle_unit)


def multi_scale_roi_align(rois: Tensor, batch_indices: Optional[Tensor], maps: Sequence[Tensor], *,
                          spatial_scales: Sequence[float], output_height: int = 1, output_width: int = 1,
                          sampling_ratio: int = 0, aligned: int = 0, canonical_scale: float = 224.0,
                          canonical_level: int = 4, eps: float = 1e-6, eps_in_log: int = 0) -> Tensor:
    """roi_ops MultiScaleRoIAlign; defaults equal torchvision ``MultiScaleRoIAlign``."""
    return ops.multi_scale_roi_align(rois, batch_indices, list(maps), [float(s) for s in spatial_scales],
                                     output_height, output_width, sampling_ratio, int(aligned),
                                     float(canonical_scale), canonical_level, float(eps), int(eps_in_log))


def crop_and_resize(x: Tensor, boxes: Tensor, box_indices: Tensor, *, crop_height: int, crop_width: int,
                    method: str = "bilinear", extrapolation_value: float = 0.0) -> Tensor:
    """roi_ops CropAndResize; equals ``tf.image.crop_and_resize`` on NCHW maps."""
    return ops.crop_and_resize(x, boxes, box_indices, crop_height, crop_width, method, float(extrapolation_value))


__all__ = ["MultiScaleRoIAlign", "crop_and_resize", "custom_translation_table", "export", "multi_scale_roi_align",
           "ps_roi_align", "ps_roi_pool", "register_torchscript_symbolics", "replace_torchvision_poolers",
           "roi_align", "roi_align_rotated", "roi_pool"]
