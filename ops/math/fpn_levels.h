// FPN level assignment of MultiScaleRoIAlign (docs/spec.md, "MultiScaleRoIAlign").
#pragma once

#include <cstddef>
#include <cstdint>

#include "host_device.h"

namespace roi_ops::math {

// MultiScaleRoIAlign takes at most this many feature maps on every device (the CUDA kernel
// passes their pointers and shapes by value in its parameters); op_params.cc enforces it.
constexpr std::size_t kMaxFeatureMaps = 8;

struct FpnLevels {
  double canonical_scale = 224;  // torchvision's defaults
  int64_t canonical_level = 4;
  double eps = 1e-6;
  bool eps_in_log = false;  // detectron2 and mmdetection add eps inside the log
  int64_t k_min = 2;        // round(-log2 spatial_scales[0])
  int64_t k_max = 5;        // round(-log2 spatial_scales[L-1])
  // Applied to the box after its level is chosen: width and height scale about the centre
  // (mmdetection's roi_rescale, mmdeploy's MMCVMultiLevelRoiAlign).
  double roi_scale_factor = 1.0;
};

// Index in [0, k_max - k_min] of the feature map that serves a box of `area` image pixels
// (width times height). With non-consecutive spatial_scales the index can reach past the last
// map, exactly as torchvision indexes its list; such a RoI gets a zero block.
template <typename R>
ROI_OPS_HD int64_t fpn_level_of_area(R area, const FpnLevels& f) {
  // A box of zero or negative area (or inf * 0 = NaN) goes to the finest level: log2(0) is
  // never evaluated.
  if (!(area > R(0))) return 0;
  const R ratio = sqrt(area) / R(f.canonical_scale);
  R k = f.eps_in_log ? floor(R(f.canonical_level) + log2(ratio + R(f.eps)))
                     : floor(R(f.canonical_level) + log2(ratio) + R(f.eps));
  // Clamped while still a float: an infinite area gives k = inf, which must not reach an
  // integer conversion.
  if (k < R(f.k_min)) k = R(f.k_min);
  if (k > R(f.k_max)) k = R(f.k_max);
  return static_cast<int64_t>(k) - f.k_min;
}

template <typename R>
ROI_OPS_HD int64_t fpn_level(R x1, R y1, R x2, R y2, const FpnLevels& f) {
  return fpn_level_of_area((x2 - x1) * (y2 - y1), f);
}

// (lo, hi) scaled by `factor` about its centre: roi_scale_factor on one axis of a box.
template <typename R>
ROI_OPS_HD void scale_about_centre(R* lo, R* hi, double factor) {
  if (factor == 1.0) return;  // bit-exact boxes when no scaling is asked for
  const R centre = (*lo + *hi) * R(0.5);
  const R half = (*hi - *lo) * R(factor) * R(0.5);
  *lo = centre - half;
  *hi = centre + half;
}

}  // namespace roi_ops::math
