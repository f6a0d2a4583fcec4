// RoIAlignRotated on the CPU (docs/spec.md, "RoIAlignRotated"). A rotated sample's row and column
// depend on both of its box-frame coordinates, so taps are not separable: each sample gets its
// own bilinear corners, worked out once per RoI and applied to one staged channel block at a time.
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

// One valid sample of a RoI: its four corners' offsets in a staged block plane and their
// bilinear weights.
template <typename A>
struct RotatedSample {
  int64_t o00, o01, o10, o11;
  A w00, w01, w10, w11;
};

// A RoI's samples, bin by bin: bin b's samples are samples[first[b], first[b + 1]).
template <typename A>
struct RotatedTable {
  std::vector<RotatedSample<A>> samples;
  std::vector<int64_t> first;
  A divisor = A(1);
};

// The samples are worked out once per RoI, not once per channel block: every sample costs a
// rotation and two axis taps in double, and a call stages 16 blocks of W1's 256 channels
// (R1: 1.6x faster at 1 thread than recomputing them per block; bit-identical).
template <typename A>
void build_rotated_table(const Geometry& g, const RotatedParams& p, const MapShape& s, RotatedTable<A>& t) {
  constexpr int64_t kB = block_channels<A>();
  double yy_lo, yy_hi, xx_lo, xx_hi;
  math::rotated_map_bounds(g, s.h, s.w, &yy_lo, &yy_hi, &xx_lo, &xx_hi);
  t.divisor = static_cast<A>(math::sample_count(g.y, g.x));
  t.samples.clear();
  t.first.assign(1, 0);
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    int64_t iy0, iy1;
    math::bin_sample_range(g.y, ph, yy_lo, yy_hi, &iy0, &iy1);
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      int64_t ix0, ix1;
      math::bin_sample_range(g.x, pw, xx_lo, xx_hi, &ix0, &ix1);
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
          t.samples.push_back({(ty.lo * s.w + tx.lo) * kB, (ty.lo * s.w + tx.hi) * kB, (ty.hi * s.w + tx.lo) * kB,
                               (ty.hi * s.w + tx.hi) * kB, wyl * wxl, wyl * wxh, wyh * wxl, wyh * wxh});
        }
      }
      t.first.push_back(static_cast<int64_t>(t.samples.size()));
    }
  }
}

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void rotated_roi_impl(const A* plane, const RotatedTable<A>& t, int64_t bins, A* block) {
  constexpr int kB = block_channels<A>();
  for (int64_t b = 0; b < bins; ++b) {
    V acc{};
    for (int64_t i = t.first[b]; i < t.first[b + 1]; ++i) {
      const RotatedSample<A>& q = t.samples[static_cast<std::size_t>(i)];
      acc += q.w00 * V::load(plane + q.o00) + q.w01 * V::load(plane + q.o01) +
             q.w10 * V::load(plane + q.o10) + q.w11 * V::load(plane + q.o11);
    }
    store_lanes(block + b * kB, acc / t.divisor);
  }
}

ROI_OPS_ISA_CLONES void rotated_roi(const float* plane, const RotatedTable<float>& t, int64_t bins, float* block) {
  if (wide_lanes()) return rotated_roi_impl<Lanes<float>>(plane, t, bins, block);
  rotated_roi_impl<Quarters<float>>(plane, t, bins, block);
}

ROI_OPS_ISA_CLONES void rotated_roi(const double* plane, const RotatedTable<double>& t, int64_t bins,
                                    double* block) {
  if (wide_lanes()) return rotated_roi_impl<Lanes<double>>(plane, t, bins, block);
  rotated_roi_impl<Quarters<double>>(plane, t, bins, block);
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
  const int64_t bins = params.output_height * params.output_width;
  std::vector<RotatedTable<A>> tables(boxes.size());
  std::vector<Window> windows(boxes.size());
  parallel_for(boxes.size(), [&](std::size_t k) {
    if (batch[k] < 0) return;
    const Geometry g = math::rotated_geometry(boxes[k], params.spatial_scale, params.options, params.output_height,
                                              params.output_width, params.sampling_ratio);
    build_rotated_table(g, params, shape, tables[k]);
    windows[k] = rotated_window(g, params, shape);
  });
  // The cells each RoI's samples read, for the driver to stage a few RoIs cell by cell (W6: 1.2x).
  // Many RoIs share one staged window instead, and sorting their cells would cost more than the
  // kernel (R1: 2x slower).
  ReadLists cells;
  if (std::count_if(batch.begin(), batch.end(), [](int64_t b) { return b >= 0; }) <= kFewRois) {
    cells.cells = true;
    std::vector<int64_t> c;
    for (std::size_t k = 0; k < boxes.size(); ++k) {
      c.clear();
      for (const RotatedSample<A>& q : tables[k].samples)
        for (int64_t o : {q.o00, q.o01, q.o10, q.o11}) c.push_back(o / block_channels<A>());
      cells.add(c);
    }
  }
  for_each_roi_block(
      x, shape, batch, bins, y, parallel_for,
      [&](const A* plane, int64_t k, A* block) { rotated_roi(plane, tables[k], bins, block); }, windows, cells);
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
