// Bilinear sampling of one feature plane at a real point (docs/spec.md, "Bilinear sample").
//
// The rule is separable: the y part depends only on the row coordinate and the x part only on
// the column coordinate, so kernels compute an axis tap once per sample row or column and reuse
// it for every sample, bin and channel that shares it.
#pragma once

#include <cstdint>

#include "host_device.h"

namespace roi_ops::math {

// One axis of a bilinear sample: the two neighbouring indices and their weights.
// `valid` is false when the point lies outside [-1, size]: the whole sample is then 0.
template <typename R>
struct AxisTap {
  int64_t lo = 0;
  int64_t hi = 0;
  R w_lo = 0;  // weight of `lo` (1 - fraction)
  R w_hi = 0;  // weight of `hi` (fraction)
  bool valid = false;
};

// `pos` must be finite; `size` is H or W and may be 0 (then nothing is valid).
template <typename R>
ROI_OPS_HD AxisTap<R> axis_tap(R pos, int64_t size) {
  AxisTap<R> t;
  // Step 1 of the spec; also rejects every point of an empty axis, whose lo/hi would be -1.
  if (size <= 0 || pos < R(-1) || pos > R(size)) return t;
  if (pos < R(0)) pos = R(0);  // step 2
  // pos is in [0, size] here, so the conversion to an integer is in range.
  int64_t lo = static_cast<int64_t>(pos);  // floor, pos >= 0
  int64_t hi;
  if (lo >= size - 1) {  // step 3: clamp onto the last row/column
    lo = hi = size - 1;
    pos = R(lo);
  } else {
    hi = lo + 1;
  }
  const R frac = pos - R(lo);
  t.lo = lo;
  t.hi = hi;
  t.w_hi = frac;
  t.w_lo = R(1) - frac;
  t.valid = true;
  return t;
}

}  // namespace roi_ops::math
