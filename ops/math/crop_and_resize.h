// CropAndResize geometry (docs/spec.md, "CropAndResize"): tf.image.crop_and_resize's sampling of a
// normalised box, one axis at a time. This is not the align-family bilinear rule: a point
// outside [0, size - 1] is not clamped but replaced by extrapolation_value.
#pragma once

#include <cstdint>

#include "host_device.h"

namespace roi_ops::math {

// Position of output row (or column) i of `out` along an axis of `size` pixels, for the
// normalised box edges c1, c2.
template <typename R>
ROI_OPS_HD R crop_position(R c1, R c2, int64_t size, int64_t out, int64_t i) {
  const R last = R(size - 1);
  if (out > 1) return c1 * last + R(i) * ((c2 - c1) * last / R(out - 1));
  return R(0.5) * (c1 + c2) * last;
}

template <typename R>
struct CropTap {
  bool valid = false;  // false: the whole output row/column is extrapolation_value
  int64_t lo = 0, hi = 0;
  R frac = 0;           // weight of `hi` in the lerp
  int64_t nearest = 0;  // round half away from zero, as TensorFlow's roundf
};

template <typename R>
ROI_OPS_HD CropTap<R> crop_tap(R pos, int64_t size) {
  CropTap<R> t;
  // Written so that NaN (from inf - inf on absurd boxes) is outside too: no NaN may reach the
  // integer conversions below.
  if (!(pos >= R(0) && pos <= R(size - 1))) return t;
  const R lo = floor(pos);
  t.valid = true;
  t.lo = static_cast<int64_t>(lo);
  t.hi = static_cast<int64_t>(ceil(pos));
  t.frac = pos - lo;  // exact (Sterbenz): pos >= 0, and floor(pos) is 0 or at least pos / 2
  // round(pos), half away from zero, without the libm call GCC makes of a rounded conversion
  t.nearest = t.frac >= R(0.5) ? t.hi : t.lo;
  return t;
}

}  // namespace roi_ops::math
