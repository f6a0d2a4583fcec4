// Position-sensitive RoI ops (docs/spec.md, "PSRoIAlign, PSRoIPool"): the R-FCN channel mapping and
// the geometry that differs from RoIAlign / RoIPool.
#pragma once

#include <cstdint>

#include "host_device.h"
#include "roi_align.h"
#include "roi_pool.h"

namespace roi_ops::math {

// Output channel c at bin (ph, pw) reads input channel (c * oh + ph) * ow + pw.
ROI_OPS_HD int64_t ps_input_channel(int64_t c, int64_t ph, int64_t pw, int64_t oh, int64_t ow) {
  return (c * oh + ph) * ow + pw;
}

// PSRoIAlign: start = coord * s - 0.5 always and no minimum size, which is exactly RoIAlign's
// aligned geometry (torchvision's ps_roi_align has no `aligned` switch).
template <typename R>
ROI_OPS_HD AlignAxis<R> ps_align_axis(R c1, R c2, R spatial_scale, int64_t out_size, int64_t sampling_ratio) {
  return align_axis(c1, c2, spatial_scale, true, out_size, sampling_ratio);
}

// PSRoIPool: extent xe - xs without RoIPool's +1.
template <typename R>
ROI_OPS_HD PoolAxis ps_pool_axis(R c1, R c2, R spatial_scale, int64_t out_size) {
  return pool_axis(c1, c2, spatial_scale, out_size, false);
}

// PSRoIPool's window of bin p: RoIPool's bounds clamped to [0, size - 1] instead of [0, size],
// so the last row and column never enter a window (torchvision's rule, kept for parity with
// models trained on it). An axis of size 0 has no window at all.
ROI_OPS_HD void ps_pool_window(const PoolAxis& a, int64_t p, int64_t size, int64_t* begin, int64_t* end) {
  if (size <= 0) {
    *begin = *end = 0;
    return;
  }
  pool_window(a, p, size - 1, begin, end);
}

}  // namespace roi_ops::math
