"""torchvision.ops' RoI functions and modules with torchvision's signatures, computed by roi_ops'
ops, so that a torchvision user switches with one import::

    from roi_ops.torch import vision as ops   # instead of: from torchvision import ops
    y = ops.roi_align(features, boxes, output_size=7, spatial_scale=1 / 16, sampling_ratio=2, aligned=True)

``boxes`` is a Tensor[K, 5] (batch index first) or a list of per-image Tensor[L, 4], as in
torchvision; ``output_size`` an int or (height, width); ``sampling_ratio <= 0`` is adaptive
(roi_ops' 0). Exported with ``roi_ops.torch.export`` they become roi_ops nodes.
"""
from __future__ import annotations

from typing import List, Tuple, Union

from torch import Tensor, nn

import roi_ops.torch as rt

from . import modules
from .validation import as_rois

Boxes = Union[Tensor, List[Tensor]]


def _size(output_size) -> Tuple[int, int]:
    if isinstance(output_size, int):
        return output_size, output_size
    h, w = output_size
    return int(h), int(w)


def _sampling(sampling_ratio: int) -> int:
    return max(int(sampling_ratio), 0)  # torchvision: <= 0 is adaptive


def roi_align(input: Tensor, boxes: Boxes, output_size, spatial_scale: float = 1.0, sampling_ratio: int = -1,
              aligned: bool = False) -> Tensor:
    """``torchvision.ops.roi_align``."""
    oh, ow = _size(output_size)
    rois = as_rois("RoIAlign", boxes)
    return rt.roi_align(input, rois, output_height=oh, output_width=ow, spatial_scale=spatial_scale,
                        sampling_ratio=_sampling(sampling_ratio), aligned=int(aligned))


def roi_pool(input: Tensor, boxes: Boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """``torchvision.ops.roi_pool``."""
    oh, ow = _size(output_size)
    rois = as_rois("RoIPool", boxes)
    return rt.roi_pool(input, rois, output_height=oh, output_width=ow, spatial_scale=spatial_scale)


def ps_roi_align(input: Tensor, boxes: Boxes, output_size, spatial_scale: float = 1.0,
                 sampling_ratio: int = -1) -> Tensor:
    """``torchvision.ops.ps_roi_align``."""
    oh, ow = _size(output_size)
    rois = as_rois("PSRoIAlign", boxes)
    return rt.ps_roi_align(input, rois, output_height=oh, output_width=ow, spatial_scale=spatial_scale,
                           sampling_ratio=_sampling(sampling_ratio))


def ps_roi_pool(input: Tensor, boxes: Boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """``torchvision.ops.ps_roi_pool``."""
    oh, ow = _size(output_size)
    rois = as_rois("PSRoIPool", boxes)
    return rt.ps_roi_pool(input, rois, output_height=oh, output_width=ow, spatial_scale=spatial_scale)


class RoIAlign(nn.Module):
    """``torchvision.ops.RoIAlign``."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int, aligned: bool = False):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale
        self.sampling_ratio, self.aligned = sampling_ratio, aligned

    def forward(self, input: Tensor, rois: Boxes) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)


class RoIPool(nn.Module):
    """``torchvision.ops.RoIPool``."""

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale

    def forward(self, input: Tensor, rois: Boxes) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)


class PSRoIAlign(nn.Module):
    """``torchvision.ops.PSRoIAlign``."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int):
        super().__init__()
        self.output_size, self.spatial_scale, self.sampling_ratio = output_size, spatial_scale, sampling_ratio

    def forward(self, input: Tensor, rois: Boxes) -> Tensor:
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio)


class PSRoIPool(nn.Module):
    """``torchvision.ops.PSRoIPool``."""

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale

    def forward(self, input: Tensor, rois: Boxes) -> Tensor:
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)


MultiScaleRoIAlign = modules.MultiScaleRoIAlign

__all__ = ["MultiScaleRoIAlign", "PSRoIAlign", "PSRoIPool", "RoIAlign", "RoIPool", "ps_roi_align", "ps_roi_pool",
           "roi_align", "roi_pool"]
