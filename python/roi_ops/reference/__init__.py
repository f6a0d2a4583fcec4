"""NumPy reference implementations of the roi_ops operators, written from SPEC.md.

float64 inside, vectorised over bins, samples and channels (one Python iteration per RoI at
most). They are the oracle of the test suite; results are returned in X's dtype.
"""
from __future__ import annotations

from .roi_align import roi_align
from .roi_pool import roi_pool

__all__ = ["roi_align", "roi_pool"]
