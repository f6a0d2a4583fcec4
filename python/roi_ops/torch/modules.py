"""``MultiScaleRoIAlign`` with torchvision's module interface, computed by the fused
``roi_ops::multi_scale_roi_align`` op, so that the export holds one ``roi_ops.MultiScaleRoIAlign``
node instead of the per-level select / RoiAlign / scatter graph."""
from __future__ import annotations

import math
from typing import Dict, List, Sequence, Tuple

from torch import Tensor, nn

from ..attribute_checks import check_attributes
from ..attributes import DEFAULTS
from . import ops
from .validation import as_rois


def _infer_scale(feature_hw: Sequence[int], image_hw: Sequence[int]) -> float:
    """torchvision's rule: the power of two nearest to feature size / image size (same on both axes)."""
    scales = [2.0 ** round(math.log2(float(f) / float(s))) for f, s in zip(feature_hw, image_hw)]
    if scales[0] != scales[1]:
        raise ValueError(f"feature map {list(feature_hw)} and image {list(image_hw)} give different scales {scales}")
    return scales[0]


class MultiScaleRoIAlign(nn.Module):
    """Drop-in for ``torchvision.ops.MultiScaleRoIAlign`` (same constructor and forward); the
    level assignment and RoIAlign run in one roi_ops op. ``aligned``, ``eps``, ``eps_in_log``,
    ``mode`` and ``roi_scale_factor`` give detectron2's and mmdetection's conventions (docs/spec.md)."""

    def __init__(self, featmap_names: List[str], output_size, sampling_ratio: int, *,
                 canonical_scale: int = DEFAULTS.MultiScaleRoIAlign.canonical_scale,
                 canonical_level: int = DEFAULTS.MultiScaleRoIAlign.canonical_level,
                 aligned: bool = DEFAULTS.MultiScaleRoIAlign.aligned, eps: float = DEFAULTS.MultiScaleRoIAlign.eps,
                 eps_in_log: bool = DEFAULTS.MultiScaleRoIAlign.eps_in_log,
                 mode: str = DEFAULTS.MultiScaleRoIAlign.mode,
                 roi_scale_factor: float = DEFAULTS.MultiScaleRoIAlign.roi_scale_factor):
        super().__init__()
        self.featmap_names = list(featmap_names)
        self.output_size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
        self.sampling_ratio = sampling_ratio
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level
        self.aligned = aligned
        self.eps = eps
        self.eps_in_log = eps_in_log
        self.mode = mode
        self.roi_scale_factor = roi_scale_factor

    def forward(self, x: Dict[str, Tensor], boxes: List[Tensor], image_shapes: List[Tuple[int, int]]) -> Tensor:
        maps = [x[name] for name in self.featmap_names]
        max_hw = [max(s[0] for s in image_shapes), max(s[1] for s in image_shapes)]
        scales = [_infer_scale(m.shape[-2:], max_hw) for m in maps]
        rois = as_rois("MultiScaleRoIAlign", boxes)
        a = check_attributes("MultiScaleRoIAlign", spatial_scales=scales, output_height=self.output_size[0],
                             output_width=self.output_size[1],
                             sampling_ratio=max(int(self.sampling_ratio), 0),  # torchvision: <= 0 is adaptive
                             aligned=int(self.aligned), canonical_scale=self.canonical_scale,
                             canonical_level=self.canonical_level, eps=self.eps, eps_in_log=int(self.eps_in_log),
                             mode=self.mode, roi_scale_factor=self.roi_scale_factor)
        return ops.multi_scale_roi_align(rois, None, maps, **a)


def replace_torchvision_poolers(module: nn.Module) -> nn.Module:
    """Replaces every ``torchvision.ops.MultiScaleRoIAlign`` inside ``module`` (in place) by the
    roi_ops one with the same settings; returns ``module``."""
    for name, child in list(module.named_children()):
        if type(child).__name__ == "MultiScaleRoIAlign" and not isinstance(child, MultiScaleRoIAlign):
            d = DEFAULTS.MultiScaleRoIAlign
            fused = MultiScaleRoIAlign(child.featmap_names, child.output_size, child.sampling_ratio,
                                       canonical_scale=getattr(child, "canonical_scale", d.canonical_scale),
                                       canonical_level=getattr(child, "canonical_level", d.canonical_level))
            setattr(module, name, fused)
        else:
            replace_torchvision_poolers(child)
    return module
