// RoIPool window geometry (docs/spec.md, "RoIPool"): Fast R-CNN / Caffe rounding, exact in integers.
#pragma once

#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace roi_ops::math {

// Rounded RoI corners are clamped to +-2^40 feature pixels: far outside any feature map, where
// the windows are clamped to the map anyway, and small enough that bin arithmetic below stays
// exact in 64-bit integers for output sizes up to the limit the attribute check enforces (2^16).
constexpr double kMaxPoolCoord = 1099511627776.0;  // 2^40

// round half away from zero of coord * scale; `v` must be finite.
template <typename R>
ROI_OPS_HD int64_t pool_round(R v) {
  R r = round(v);
  if (r > R(kMaxPoolCoord)) r = R(kMaxPoolCoord);
  if (r < -R(kMaxPoolCoord)) r = -R(kMaxPoolCoord);
  return static_cast<int64_t>(r);
}

struct PoolAxis {
  int64_t start;   // rounded first coordinate
  int64_t extent;  // roi size in feature pixels, >= 1
  int64_t out;     // output size along this axis
};

// `plus_one` is RoIPool's inclusive end (xe - xs + 1); PSRoIPool uses xe - xs.
template <typename R>
ROI_OPS_HD PoolAxis pool_axis(R c1, R c2, R scale, int64_t out_size, bool plus_one) {
  PoolAxis a;
  a.start = pool_round(c1 * scale);
  const int64_t end = pool_round(c2 * scale);
  int64_t extent = end - a.start + (plus_one ? 1 : 0);
  a.extent = extent > 1 ? extent : 1;
  a.out = out_size;
  return a;
}

ROI_OPS_HD int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Window [begin, end) of bin p clamped to [0, limit]:
//   begin = floor(p * extent / out) + start, end = ceil((p + 1) * extent / out) + start.
// bin = extent / out is real in the spec; integer division gives the exact floor and ceiling
// that a float evaluation of p * bin can miss by one at exact multiples.
ROI_OPS_HD void pool_window(const PoolAxis& a, int64_t p, int64_t limit, int64_t* begin, int64_t* end) {
  const int64_t lo = (p * a.extent) / a.out;                          // both operands >= 0
  const int64_t hi = ((p + 1) * a.extent + a.out - 1) / a.out;        // ceil
  *begin = clamp_i64(lo + a.start, 0, limit);
  *end = clamp_i64(hi + a.start, 0, limit);
}

}  // namespace roi_ops::math
