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
};

// Index in [0, k_max - k_min] of the feature map that serves a box given in image pixels.
template <typename R>
ROI_OPS_HD int64_t fpn_level(R x1, R y1, R x2, R y2, const FpnLevels& f) {
  const R area = (x2 - x1) * (y2 - y1);
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

}  // namespace roi_ops::math
