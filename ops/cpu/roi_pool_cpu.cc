// RoIPool on the CPU (docs/spec.md, "RoIPool"): the max over each bin's window, one channel block at
// a time (channel_blocks.h), so each window element is one vector max.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "../math/roi_pool.h"
#include "../math/rois.h"
#include "channel_blocks.h"
#include "isa.h"
#include "lanes.h"
#include "roi_kernels.h"
#include "roi_driver.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void pool_roi_impl(const A* plane, const MapShape& s, const math::Box<double>& box,
                                         const PoolParams& p, A* block) {
  constexpr int kB = block_channels<A>();
  const auto ay = math::pool_axis(box.y1, box.y2, p.spatial_scale, p.output_height, true);
  const auto ax = math::pool_axis(box.x1, box.x2, p.spatial_scale, p.output_width, true);
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    int64_t h0, h1;
    math::pool_window(ay, ph, s.h, &h0, &h1);
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      int64_t w0, w1;
      math::pool_window(ax, pw, s.w, &w0, &w1);
      A* out = block + (ph * p.output_width + pw) * kB;
      if (h0 >= h1 || w0 >= w1) {  // empty window
        store_lanes(out, V{});
        continue;
      }
      V acc = V::splat(-std::numeric_limits<A>::infinity());
      for (int64_t h = h0; h < h1; ++h) {
        const A* row = plane + h * s.w * kB;
        for (int64_t w = w0; w < w1; ++w) {
          const V v = V::load(row + w * kB);
          acc = select_greater(v, acc, v, acc);
        }
      }
      store_lanes(out, acc);
    }
  }
}

ROI_OPS_ISA_CLONES void pool_roi(const float* plane, const MapShape& s, const math::Box<double>& box,
                                 const PoolParams& p, float* block) {
  if (wide_lanes()) return pool_roi_impl<Lanes<float>>(plane, s, box, p, block);
  pool_roi_impl<Quarters<float>>(plane, s, box, p, block);
}

ROI_OPS_ISA_CLONES void pool_roi(const double* plane, const MapShape& s, const math::Box<double>& box,
                                 const PoolParams& p, double* block) {
  if (wide_lanes()) return pool_roi_impl<Lanes<double>>(plane, s, box, p, block);
  pool_roi_impl<Quarters<double>>(plane, s, box, p, block);
}

// The cells a RoI's bins read: the union of their windows (empty bins read nothing).
Window pool_window_of(const math::Box<double>& box, const PoolParams& p, const MapShape& s) {
  const auto ay = math::pool_axis(box.y1, box.y2, p.spatial_scale, p.output_height, true);
  const auto ax = math::pool_axis(box.x1, box.x2, p.spatial_scale, p.output_width, true);
  auto span = [](const auto& axis, int64_t bins, int64_t size) {
    int64_t first = size, last = 0;
    for (int64_t b = 0; b < bins; ++b) {
      int64_t a0, a1;
      math::pool_window(axis, b, size, &a0, &a1);
      if (a0 < a1) first = std::min(first, a0), last = std::max(last, a1);
    }
    return std::make_pair(first, last);
  };
  const auto [y0, y1] = span(ay, p.output_height, s.h);
  const auto [x0, x1] = span(ax, p.output_width, s.w);
  return {y0, y1, x0, x1};
}

}  // namespace

template <typename T>
void roi_pool(const T* x, const MapShape& shape, const RoiSet<T>& rois, const PoolParams& params, T* y,
              const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t bins = params.output_height * params.output_width;
  const int64_t roi_block = shape.c * bins;
  if (rois.count == 0 || roi_block == 0) return;

  std::vector<math::Box<double>> boxes;
  std::vector<int64_t> batch;
  read_boxes(rois, roi_block, y, boxes, batch);
  std::vector<Window> windows(boxes.size());
  for (std::size_t k = 0; k < boxes.size(); ++k)
    if (batch[k] >= 0) windows[k] = pool_window_of(boxes[k], params, shape);
  for_each_roi_block(
      x, shape, batch, bins, y, parallel_for,
      [&](const A* plane, int64_t k, A* block) { pool_roi(plane, shape, boxes[k], params, block); }, windows);
}

template void roi_pool<float>(const float*, const MapShape&, const RoiSet<float>&, const PoolParams&, float*,
                              const ParallelFor&);
template void roi_pool<double>(const double*, const MapShape&, const RoiSet<double>&, const PoolParams&, double*,
                               const ParallelFor&);
template void roi_pool<Half>(const Half*, const MapShape&, const RoiSet<Half>&, const PoolParams&, Half*,
                             const ParallelFor&);

}  // namespace roi_ops::cpu
