// RoIAlignRotated on the CPU (docs/spec.md, "RoIAlignRotated"). A rotated sample's row and column
// depend on both of its box-frame coordinates, so taps are not separable: each sample gets its
// own bilinear corners, applied to one staged channel block at a time.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../math/bilinear.h"
#include "../math/roi_align.h"
#include "../math/roi_align_rotated.h"
#include "align_rotated_boxes.h"
#include "channel_blocks.h"
#include "isa.h"
#include "lanes.h"
#include "roi_driver.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

using Geometry = math::RotatedGeometry<double>;

template <typename A>
ROI_OPS_ALWAYS_INLINE void rotated_roi_impl(const A* plane, const MapShape& s, const Geometry& g,
                                            const RotatedParams& p, A* block) {
  constexpr int kB = block_channels<A>();
  double yy_lo, yy_hi, xx_lo, xx_hi;
  math::rotated_map_bounds(g, s.h, s.w, &yy_lo, &yy_hi, &xx_lo, &xx_hi);
  const A divisor = static_cast<A>(math::sample_count(g.y, g.x));
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    int64_t iy0, iy1;
    math::bin_sample_range(g.y, ph, yy_lo, yy_hi, &iy0, &iy1);
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      int64_t ix0, ix1;
      math::bin_sample_range(g.x, pw, xx_lo, xx_hi, &ix0, &ix1);
      Lanes<A> acc{};
      for (int64_t iy = iy0; iy < iy1; ++iy) {
        const double yy = math::sample_position(g.y, ph, iy);
        for (int64_t ix = ix0; ix < ix1; ++ix) {
          double y, x;
          math::rotated_point(g, yy, math::sample_position(g.x, pw, ix), &y, &x);
          const auto ty = math::axis_tap(y, s.h);
          const auto tx = math::axis_tap(x, s.w);
          if (!ty.valid || !tx.valid) continue;  // outside the map: 0
          const A wyl = static_cast<A>(ty.w_lo), wyh = static_cast<A>(ty.w_hi);
          const A wxl = static_cast<A>(tx.w_lo), wxh = static_cast<A>(tx.w_hi);
          const A w00 = wyl * wxl, w01 = wyl * wxh, w10 = wyh * wxl, w11 = wyh * wxh;
          const A* p00 = plane + (ty.lo * s.w + tx.lo) * kB;
          const A* p01 = plane + (ty.lo * s.w + tx.hi) * kB;
          const A* p10 = plane + (ty.hi * s.w + tx.lo) * kB;
          const A* p11 = plane + (ty.hi * s.w + tx.hi) * kB;
          acc += w00 * load_lanes(p00) + w01 * load_lanes(p01) + w10 * load_lanes(p10) + w11 * load_lanes(p11);
        }
      }
      store_lanes(block + (ph * p.output_width + pw) * kB, acc / divisor);
    }
  }
}

ROI_OPS_ISA_CLONES void rotated_roi(const float* plane, const MapShape& s, const Geometry& g, const RotatedParams& p,
                                    float* block) {
  rotated_roi_impl(plane, s, g, p, block);
}

ROI_OPS_ISA_CLONES void rotated_roi(const double* plane, const MapShape& s, const Geometry& g,
                                    const RotatedParams& p, double* block) {
  rotated_roi_impl(plane, s, g, p, block);
}

// The cells a rotated RoI's samples can read: every sample lies in the box, so the map-frame
// bounding box of its four corners covers them.
Window rotated_window(const Geometry& g, const RotatedParams& p, const MapShape& s) {
  const double yy[2] = {g.y.start, g.y.start + g.y.bin * static_cast<double>(p.output_height)};
  const double xx[2] = {g.x.start, g.x.start + g.x.bin * static_cast<double>(p.output_width)};
  double y_lo = 0, y_hi = 0, x_lo = 0, x_hi = 0;
  for (int i = 0; i < 4; ++i) {
    double y, x;
    math::rotated_point(g, yy[i / 2], xx[i % 2], &y, &x);
    y_lo = i ? std::min(y_lo, y) : y, y_hi = i ? std::max(y_hi, y) : y;
    x_lo = i ? std::min(x_lo, x) : x, x_hi = i ? std::max(x_hi, x) : x;
  }
  return Window::covering(y_lo, y_hi, x_lo, x_hi, s);
}

}  // namespace

template <typename T>
void align_rotated_boxes(const T* x, const MapShape& shape, const std::vector<math::RotatedBox<double>>& boxes,
                         const std::vector<int64_t>& batch, const RotatedParams& params, T* y,
                         const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  std::vector<Geometry> geometry(boxes.size());
  std::vector<Window> windows(boxes.size());
  for (std::size_t k = 0; k < boxes.size(); ++k)
    if (batch[k] >= 0) {
      geometry[k] = math::rotated_geometry(boxes[k], params.spatial_scale, params.options, params.output_height,
                                           params.output_width, params.sampling_ratio);
      windows[k] = rotated_window(geometry[k], params, shape);
    }
  for_each_roi_block(
      x, shape, batch, params.output_height * params.output_width, y, parallel_for,
      [&](const A* plane, int64_t k, A* block) { rotated_roi(plane, shape, geometry[k], params, block); }, windows);
}

template <typename T>
void roi_align_rotated(const T* x, const MapShape& shape, const RoiSet<T>& rois, const RotatedParams& params, T* y,
                       const ParallelFor& parallel_for) {
  const int64_t roi_block = shape.c * params.output_height * params.output_width;
  if (rois.count == 0 || roi_block == 0) return;
  std::vector<math::RotatedBox<double>> boxes;
  std::vector<int64_t> batch;
  read_rotated_boxes(rois, roi_block, y, boxes, batch);
  align_rotated_boxes(x, shape, boxes, batch, params, y, parallel_for);
}

#define ROI_OPS_INSTANTIATE(T)                                                                                  \
  template void align_rotated_boxes<T>(const T*, const MapShape&, const std::vector<math::RotatedBox<double>>&, \
                                       const std::vector<int64_t>&, const RotatedParams&, T*, const ParallelFor&); \
  template void roi_align_rotated<T>(const T*, const MapShape&, const RoiSet<T>&, const RotatedParams&, T*,     \
                                     const ParallelFor&);
ROI_OPS_INSTANTIATE(float)
ROI_OPS_INSTANTIATE(double)
ROI_OPS_INSTANTIATE(Half)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cpu
