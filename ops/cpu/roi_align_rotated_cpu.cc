// RoIAlignRotated on the CPU (docs/spec.md, "RoIAlignRotated"). A rotated sample's row and column
// depend on both of its box-frame coordinates, so taps are not separable: each sample gets its
// own bilinear corners, worked out once per RoI and applied to one staged channel block at a time.
#include <algorithm>
#include <cstdint>
#include <utility>
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

// One valid sample of a RoI: its top-left corner's offset in a staged block plane, the steps to
// the other corners (dx: 0 or one cell; fy: 0 or 1 row; 0 where the corner is clamped onto the
// map's last column or row), and the four bilinear weights. 32 bytes for float, not the 48 of
// four offsets: R1 reads every RoI's table once per channel block, 9 MB each time at 48 bytes.
template <typename A>
struct RotatedSample {
  int64_t o00;
  int32_t dx, fy;
  A w00, w01, w10, w11;
};

// A RoI's samples, bin by bin: bin b's samples are samples[first[b], first[b + 1]). `reads`
// bounds the cells they read (empty when none is valid); `row` is a plane row's offset.
template <typename A>
struct RotatedTable {
  std::vector<RotatedSample<A>> samples;
  std::vector<int64_t> first;
  A divisor = A(1);
  Window reads;
  int64_t row = 0;
};

// The samples are worked out once per RoI, not once per channel block: every sample costs a
// rotation and two axis taps in double, and a call stages 16 blocks of W1's 256 channels
// (R1: 1.6x faster at 1 thread than recomputing them per block; bit-identical). The box-frame
// columns of each bin column are the same in every bin row, so they are worked out once.
template <typename A>
void build_rotated_table(const Geometry& g, const RotatedParams& p, const MapShape& s, RotatedTable<A>& t) {
  constexpr int64_t kB = block_channels<A>();
  double yy_lo, yy_hi, xx_lo, xx_hi;
  math::rotated_map_bounds(g, s.h, s.w, &yy_lo, &yy_hi, &xx_lo, &xx_hi);
  t.divisor = static_cast<A>(math::sample_count(g.y, g.x));
  thread_local std::vector<double> xx;  // bin column pw's positions: xx[x_first[pw], x_first[pw + 1])
  thread_local std::vector<int64_t> x_first;
  xx.clear();
  x_first.assign(1, 0);
  for (int64_t pw = 0; pw < p.output_width; ++pw) {
    int64_t ix0, ix1;
    math::bin_sample_range(g.x, pw, xx_lo, xx_hi, &ix0, &ix1);
    for (int64_t ix = ix0; ix < ix1; ++ix) xx.push_back(math::sample_position(g.x, pw, ix));
    x_first.push_back(static_cast<int64_t>(xx.size()));
  }
  thread_local std::vector<std::pair<int64_t, int64_t>> y_ranges;  // bin row ph's samples [iy0, iy1)
  y_ranges.resize(static_cast<std::size_t>(p.output_height));
  int64_t rows = 0;
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    auto& [iy0, iy1] = y_ranges[static_cast<std::size_t>(ph)];
    math::bin_sample_range(g.y, ph, yy_lo, yy_hi, &iy0, &iy1);
    rows += iy1 - iy0;
  }
  t.samples.clear();
  // Room for every candidate sample up front (growing by doubling cost R1 a few percent), capped:
  // a huge rotated box keeps only the candidates that land on the map.
  t.samples.reserve(std::min<std::size_t>(static_cast<std::size_t>(rows) * xx.size(), std::size_t{1} << 16));
  t.first.assign(1, 0);
  t.reads = {s.h, 0, s.w, 0};
  t.row = s.w * kB;
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    const auto [iy0, iy1] = y_ranges[static_cast<std::size_t>(ph)];
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      for (int64_t iy = iy0; iy < iy1; ++iy) {
        const double yy = math::sample_position(g.y, ph, iy);
        for (int64_t i = x_first[pw]; i < x_first[pw + 1]; ++i) {
          double y, x;
          math::rotated_point(g, yy, xx[static_cast<std::size_t>(i)], &y, &x);
          const auto ty = math::axis_tap(y, s.h);
          const auto tx = math::axis_tap(x, s.w);
          if (!ty.valid || !tx.valid) continue;  // outside the map: 0
          t.reads = {std::min(t.reads.y0, ty.lo), std::max(t.reads.y1, ty.hi + 1), std::min(t.reads.x0, tx.lo),
                     std::max(t.reads.x1, tx.hi + 1)};
          const A wyl = static_cast<A>(ty.w_lo), wyh = static_cast<A>(ty.w_hi);
          const A wxl = static_cast<A>(tx.w_lo), wxh = static_cast<A>(tx.w_hi);
          t.samples.push_back({(ty.lo * s.w + tx.lo) * kB, static_cast<int32_t>((tx.hi - tx.lo) * kB),
                               static_cast<int32_t>(ty.hi - ty.lo), wyl * wxl, wyl * wxh, wyh * wxl, wyh * wxh});
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
      const A* top = plane + q.o00;
      const A* bottom = top + q.fy * t.row;
      acc += q.w00 * V::load(top) + q.w01 * V::load(top + q.dx) + q.w10 * V::load(bottom) +
             q.w11 * V::load(bottom + q.dx);
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

// The distinct cells (h * W + w) RoI table t reads, in increasing order, into `cells`: marked in
// a byte per cell of t.reads' rows, then collected row by row (sorting the samples' corners took
// a tenth of W6 RoIAlignRotated: 1.11x faster this way, MultiScaleRoIAlignRotated 1.10x).
template <typename A>
void read_cells(const RotatedTable<A>& t, const MapShape& s, std::vector<uint8_t>& marks, std::vector<int64_t>& cells) {
  cells.clear();
  if (t.reads.area() == 0) return;
  const int64_t base = t.reads.y0 * s.w;
  marks.assign(static_cast<std::size_t>((t.reads.y1 - t.reads.y0) * s.w), 0);
  for (const RotatedSample<A>& q : t.samples) {
    const int64_t top = q.o00 / block_channels<A>() - base, bottom = top + q.fy * s.w;
    const int64_t right = q.dx / block_channels<A>();
    for (int64_t c : {top, top + right, bottom, bottom + right}) marks[static_cast<std::size_t>(c)] = 1;
  }
  for (int64_t h = t.reads.y0; h < t.reads.y1; ++h)
    for (int64_t w = t.reads.x0; w < t.reads.x1; ++w)
      if (marks[static_cast<std::size_t>(h * s.w + w - base)]) cells.push_back(h * s.w + w);
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
    windows[k] = tables[k].reads;
  });
  // The runs of cells each RoI's samples read, for the driver to stage a few RoIs run by run
  // (W6: 1.2x). Many RoIs share one staged window instead, and listing their cells would cost
  // more than the kernel (R1: 2x slower).
  ReadLists runs;
  if (std::count_if(batch.begin(), batch.end(), [](int64_t b) { return b >= 0; }) <= kFewRois) {
    runs.runs = true;
    std::vector<uint8_t> marks;
    std::vector<int64_t> cells, r;
    for (const RotatedTable<A>& t : tables) {
      read_cells(t, shape, marks, cells);
      cell_runs(cells, shape.h * shape.w, block_channels<A>(), r);
      runs.add(r);
    }
  }
  for_each_roi_block(
      x, shape, batch, bins, y, parallel_for,
      [&](const A* plane, int64_t k, A* block) { rotated_roi(plane, tables[k], bins, block); }, windows, runs);
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
