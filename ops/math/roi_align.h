// RoIAlign geometry (docs/spec.md, "RoIAlign"): where a RoI's bins are and where their samples lie.
#pragma once

#include <cmath>
#include <cstdint>

#include "bilinear.h"
#include "host_device.h"
#include "rois.h"

namespace roi_ops::math {

enum class AlignMode : int { kAvg = 0, kMax = 1, kOnnxMax = 2 };

// One RoI mapped onto the feature map. Sample i of bin p along an axis lies at
//   start + p * bin + (i + 0.5) * step,  step = bin / grid.
// Grid counts are kept in R: an adaptive grid of a huge RoI may not fit an integer.
template <typename R>
struct AlignAxis {
  R start = 0;
  R bin = 0;
  R grid = 0;  // samples per bin along this axis, >= 0
  R step = 0;
};

template <typename R>
ROI_OPS_HD AlignAxis<R> align_axis(R c1, R c2, R spatial_scale, bool aligned, int64_t out_size,
                                   int64_t sampling_ratio) {
  const R offset = aligned ? R(0.5) : R(0);
  AlignAxis<R> a;
  a.start = c1 * spatial_scale - offset;
  R extent = c2 * spatial_scale - offset - a.start;
  if (!aligned && extent < R(1)) extent = R(1);  // legacy minimum size of 1 feature pixel
  a.bin = extent / R(out_size);
  a.grid = sampling_ratio > 0 ? R(sampling_ratio) : ceil(extent / R(out_size));
  // A reversed RoI (possible when aligned) gives a negative adaptive grid: no samples, output 0.
  if (a.grid < R(0)) a.grid = R(0);
  a.step = a.grid > R(0) ? a.bin / a.grid : R(0);
  return a;
}

// The samples of one bin along one axis whose positions can fall inside [lo, hi], as
// [first, last). Samples outside the map are 0 (bilinear rule 1), so skipping them leaves an
// average unchanged; this bounds the work of a huge RoI by the map size instead of its area.
// The range is widened by one sample on each side, and axis_tap() still tests every sample, so
// rounding in the division cannot drop a sample that the spec keeps.
template <typename R>
ROI_OPS_HD void bin_sample_range(const AlignAxis<R>& a, int64_t bin, R lo_pos, R hi_pos, int64_t* first,
                                 int64_t* last) {
  *first = *last = 0;
  if (!(a.grid > R(0)) || !(lo_pos <= hi_pos)) return;
  const R base = a.start + R(bin) * a.bin;
  R lo = 0, hi = a.grid;
  if (a.step != R(0)) {
    const R u = (lo_pos - base) / a.step - R(0.5);
    const R v = (hi_pos - base) / a.step - R(0.5);
    lo = floor(u < v ? u : v) - R(1);
    hi = ceil(u < v ? v : u) + R(2);
  }
  // Clamp into [0, grid] and below 2^53 before converting: finite but absurd coordinates must
  // not overflow the integer conversion (a NaN from inf - inf fails every comparison and
  // ends as 0).
  const R cap = a.grid < R(9007199254740992.0) ? a.grid : R(9007199254740992.0);
  lo = lo > R(0) ? (lo < cap ? lo : cap) : R(0);
  hi = hi > R(0) ? (hi < cap ? hi : cap) : R(0);
  if (!(lo < hi)) return;
  *first = static_cast<int64_t>(lo);
  *last = static_cast<int64_t>(hi);
  // Beyond this many samples the positions have lost all precision anyway (only coordinates
  // near R's limits get here); the cap keeps such a RoI from hanging the kernel.
  const R width = hi_pos - lo_pos;
  const int64_t max_span = 4 * (static_cast<int64_t>(width < R(1e9) ? width : R(1e9)) + 2) + 4096;
  if (*last - *first > max_span) *last = *first + max_span;
}

// The samples that can land on an axis of `size` pixels: positions in [-1, size].
template <typename R>
ROI_OPS_HD void bin_sample_range(const AlignAxis<R>& a, int64_t bin, int64_t size, int64_t* first, int64_t* last) {
  if (size <= 0) {
    *first = *last = 0;
    return;
  }
  bin_sample_range(a, bin, R(-1), R(size), first, last);
}

template <typename R>
ROI_OPS_HD R sample_position(const AlignAxis<R>& a, int64_t bin, int64_t i) {
  return a.start + R(bin) * a.bin + (R(i) + R(0.5)) * a.step;
}

// The divisor of the average: max(grid_h * grid_w, 1).
template <typename R>
ROI_OPS_HD R sample_count(const AlignAxis<R>& y, const AlignAxis<R>& x) {
  const R n = y.grid * x.grid;
  return n > R(1) ? n : R(1);
}

}  // namespace roi_ops::math
