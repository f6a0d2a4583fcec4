"""NumPy reference implementations of the roi_ops operators, written from docs/spec.md.

float64 inside, vectorised over bins, samples and channels (one Python iteration per RoI at
most). They are the oracle of the test suite; results are returned in X's dtype.
"""
from __future__ import annotations

from .crop_and_resize import crop_and_resize
from .multi_scale_roi_align import fpn_levels, multi_scale_roi_align, multi_scale_roi_align_rotated
from .ps_roi import ps_roi_align, ps_roi_pool
from .roi_align import roi_align
from .roi_align_rotated import roi_align_rotated
from .roi_pool import roi_pool

# The reference function of each roi_ops op type.
BY_OP_TYPE = {"RoIAlign": roi_align, "RoIPool": roi_pool, "PSRoIAlign": ps_roi_align, "PSRoIPool": ps_roi_pool,
              "RoIAlignRotated": roi_align_rotated, "MultiScaleRoIAlign": multi_scale_roi_align,
              "MultiScaleRoIAlignRotated": multi_scale_roi_align_rotated, "CropAndResize": crop_and_resize}

__all__ = ["BY_OP_TYPE", "crop_and_resize", "fpn_levels", "multi_scale_roi_align", "multi_scale_roi_align_rotated",
           "ps_roi_align", "ps_roi_pool", "roi_align", "roi_align_rotated", "roi_pool"]
