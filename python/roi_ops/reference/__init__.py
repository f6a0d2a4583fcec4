"""NumPy reference implementations of the roi_ops operators, written from docs/spec.md.

float64 inside, vectorised over bins, samples and channels (one Python iteration per RoI at
most). They are the oracle of the test suite; results are returned in X's dtype.
"""
from __future__ import annotations

from .crop_and_resize import crop_and_resize
from .multi_scale_roi_align import fpn_levels, multi_scale_roi_align
from .ps_roi import ps_roi_align, ps_roi_pool
from .roi_align import roi_align
from .roi_align_rotated import roi_align_rotated
from .roi_pool import roi_pool

__all__ = ["crop_and_resize", "fpn_levels", "multi_scale_roi_align", "ps_roi_align", "ps_roi_pool", "roi_align",
           "roi_align_rotated", "roi_pool"]
