"""roi_ops for PyTorch: the operators as custom ops (``torch.ops.roi_ops.*``) computed by the
NumPy reference (docs/spec.md's numbers; outputs on the input's device), and the translations
that make ``torch.onnx.export`` emit roi_ops nodes (dynamo and TorchScript exporters), also for
torchvision's RoI ops and ``MultiScaleRoIAlign``::

    import roi_ops.torch as rt
    y = rt.roi_align(x, rois, output_height=7, output_width=7, spatial_scale=1 / 16)
    onnx_model = rt.export(model, (x, rois))            # dynamo exporter
    onnx_model = rt.export(model, (x, rois), dynamo=False)  # TorchScript exporter
"""
from __future__ import annotations

from typing import Optional, Sequence

try:
    from torch import Tensor
except ImportError as e:  # a plain install: say which extra brings torch, as the CLI does
    raise ModuleNotFoundError(f"roi_ops.torch needs torch ({e}): pip install 'roi-ops[torch]'",
                              name="torch") from None

from ..attribute_checks import check_attributes
from ..attributes import DEFAULTS

_ROTATED, _LEVELS = DEFAULTS.RoIAlignRotated, DEFAULTS.MultiScaleRoIAlign
_ROTATED_LEVELS = DEFAULTS.MultiScaleRoIAlignRotated
from . import ops
from .export import custom_translation_table, export, register_torchscript_symbolics
from .modules import MultiScaleRoIAlign, replace_torchvision_poolers


def roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *,
              output_height: int = DEFAULTS.RoIAlign.output_height, output_width: int = DEFAULTS.RoIAlign.output_width,
              spatial_scale: float = DEFAULTS.RoIAlign.spatial_scale,
              sampling_ratio: int = DEFAULTS.RoIAlign.sampling_ratio, mode: str = DEFAULTS.RoIAlign.mode,
              aligned: int = DEFAULTS.RoIAlign.aligned) -> Tensor:
    """roi_ops RoIAlign; ``aligned=1`` equals torchvision ``roi_align(aligned=True)``."""
    a = check_attributes("RoIAlign", output_height=output_height, output_width=output_width,
                         spatial_scale=spatial_scale, sampling_ratio=sampling_ratio, mode=mode, aligned=aligned)
    return ops.roi_align(x, rois, batch_indices, **a)


def roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *,
             output_height: int = DEFAULTS.RoIPool.output_height, output_width: int = DEFAULTS.RoIPool.output_width,
             spatial_scale: float = DEFAULTS.RoIPool.spatial_scale) -> Tensor:
    """roi_ops RoIPool; equals torchvision ``roi_pool`` and ONNX ``MaxRoiPool``."""
    a = check_attributes("RoIPool", output_height=output_height, output_width=output_width,
                         spatial_scale=spatial_scale)
    return ops.roi_pool(x, rois, batch_indices, **a)


def ps_roi_align(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *,
                 output_height: int = DEFAULTS.PSRoIAlign.output_height,
                 output_width: int = DEFAULTS.PSRoIAlign.output_width,
                 spatial_scale: float = DEFAULTS.PSRoIAlign.spatial_scale,
                 sampling_ratio: int = DEFAULTS.PSRoIAlign.sampling_ratio) -> Tensor:
    """roi_ops PSRoIAlign; equals torchvision ``ps_roi_align``."""
    a = check_attributes("PSRoIAlign", output_height=output_height, output_width=output_width,
                         spatial_scale=spatial_scale, sampling_ratio=sampling_ratio)
    return ops.ps_roi_align(x, rois, batch_indices, **a)


def ps_roi_pool(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *,
                output_height: int = DEFAULTS.PSRoIPool.output_height,
                output_width: int = DEFAULTS.PSRoIPool.output_width,
                spatial_scale: float = DEFAULTS.PSRoIPool.spatial_scale) -> Tensor:
    """roi_ops PSRoIPool; equals torchvision ``ps_roi_pool``."""
    a = check_attributes("PSRoIPool", output_height=output_height, output_width=output_width,
                         spatial_scale=spatial_scale)
    return ops.ps_roi_pool(x, rois, batch_indices, **a)


def roi_align_rotated(x: Tensor, rois: Tensor, batch_indices: Optional[Tensor] = None, *,
                      output_height: int = _ROTATED.output_height, output_width: int = _ROTATED.output_width,
                      spatial_scale: float = _ROTATED.spatial_scale, sampling_ratio: int = _ROTATED.sampling_ratio,
                      aligned: int = _ROTATED.aligned, clockwise: int = _ROTATED.clockwise,
                      angle_unit: str = _ROTATED.angle_unit) -> Tensor:
    """roi_ops RoIAlignRotated; defaults equal detectron2 ``ROIAlignRotated``."""
    a = check_attributes("RoIAlignRotated", output_height=output_height, output_width=output_width,
                         spatial_scale=spatial_scale, sampling_ratio=sampling_ratio, aligned=aligned,
                         clockwise=clockwise, angle_unit=angle_unit)
    return ops.roi_align_rotated(x, rois, batch_indices, **a)


def multi_scale_roi_align(rois: Tensor, batch_indices: Optional[Tensor], maps: Sequence[Tensor], *,
                          spatial_scales: Sequence[float], output_height: int = _LEVELS.output_height,
                          output_width: int = _LEVELS.output_width, sampling_ratio: int = _LEVELS.sampling_ratio,
                          mode: str = _LEVELS.mode, aligned: int = _LEVELS.aligned,
                          canonical_scale: float = _LEVELS.canonical_scale,
                          canonical_level: int = _LEVELS.canonical_level, eps: float = _LEVELS.eps,
                          eps_in_log: int = _LEVELS.eps_in_log,
                          roi_scale_factor: float = _LEVELS.roi_scale_factor) -> Tensor:
    """roi_ops MultiScaleRoIAlign; defaults equal torchvision ``MultiScaleRoIAlign``."""
    a = check_attributes("MultiScaleRoIAlign", spatial_scales=list(spatial_scales), output_height=output_height,
                         output_width=output_width, sampling_ratio=sampling_ratio, mode=mode, aligned=aligned,
                         canonical_scale=canonical_scale, canonical_level=canonical_level, eps=eps,
                         eps_in_log=eps_in_log, roi_scale_factor=roi_scale_factor)
    return ops.multi_scale_roi_align(rois, batch_indices, list(maps), **a)


def multi_scale_roi_align_rotated(
        rois: Tensor, batch_indices: Optional[Tensor], maps: Sequence[Tensor], *, spatial_scales: Sequence[float],
        output_height: int = _ROTATED_LEVELS.output_height, output_width: int = _ROTATED_LEVELS.output_width,
        sampling_ratio: int = _ROTATED_LEVELS.sampling_ratio, aligned: int = _ROTATED_LEVELS.aligned,
        clockwise: int = _ROTATED_LEVELS.clockwise, angle_unit: str = _ROTATED_LEVELS.angle_unit,
        canonical_scale: float = _ROTATED_LEVELS.canonical_scale,
        canonical_level: int = _ROTATED_LEVELS.canonical_level, eps: float = _ROTATED_LEVELS.eps,
        eps_in_log: int = _ROTATED_LEVELS.eps_in_log, roi_scale_factor: float = _ROTATED_LEVELS.roi_scale_factor
) -> Tensor:
    """roi_ops MultiScaleRoIAlignRotated: rotated RoIs (cx, cy, w, h, angle) pooled on their FPN
    level (mmrotate's RotatedSingleRoIExtractor with the attributes of docs/spec.md)."""
    a = check_attributes("MultiScaleRoIAlignRotated", spatial_scales=list(spatial_scales),
                         output_height=output_height, output_width=output_width, sampling_ratio=sampling_ratio,
                         aligned=aligned, clockwise=clockwise, angle_unit=angle_unit, canonical_scale=canonical_scale,
                         canonical_level=canonical_level, eps=eps, eps_in_log=eps_in_log,
                         roi_scale_factor=roi_scale_factor)
    return ops.multi_scale_roi_align_rotated(rois, batch_indices, list(maps), **a)


def crop_and_resize(x: Tensor, boxes: Tensor, box_indices: Tensor, *, crop_height: int, crop_width: int,
                    method: str = DEFAULTS.CropAndResize.method,
                    extrapolation_value: float = DEFAULTS.CropAndResize.extrapolation_value) -> Tensor:
    """roi_ops CropAndResize; equals ``tf.image.crop_and_resize`` on NCHW maps."""
    a = check_attributes("CropAndResize", crop_height=crop_height, crop_width=crop_width, method=method,
                         extrapolation_value=extrapolation_value)
    return ops.crop_and_resize(x, boxes, box_indices, **a)


__all__ = ["MultiScaleRoIAlign", "crop_and_resize", "custom_translation_table", "export", "multi_scale_roi_align",
           "multi_scale_roi_align_rotated",
           "ps_roi_align", "ps_roi_pool", "register_torchscript_symbolics", "replace_torchvision_poolers",
           "roi_align", "roi_align_rotated", "roi_pool"]
