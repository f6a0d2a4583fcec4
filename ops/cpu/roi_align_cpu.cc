// RoIAlign on the CPU (docs/spec.md, "RoIAlign"): every RoI's separable taps are built first
// (align_bins.h), then the map is walked one channel block at a time.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "../math/roi_align.h"
#include "../math/rois.h"
#include "align_bins.h"
#include "align_boxes.h"
#include "align_rows_first.h"
#include "channel_blocks.h"
#include "isa.h"
#include "roi_driver.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

using math::AlignMode;

template <typename V, int kMode, typename A>
ROI_OPS_ALWAYS_INLINE void align_roi_block(const A* plane, const AlignTables<A>& t, int64_t k, const AlignParams& p,
                                           A* block) {
  constexpr int kB = block_channels<A>();
  for (int64_t ph = 0; ph < p.output_height; ++ph)
    for (int64_t pw = 0; pw < p.output_width; ++pw)
      align_table_bin<V, kMode>(plane, t, k, ph, pw, p.output_height, p.output_width,
                                block + (ph * p.output_width + pw) * kB);
}

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void align_roi_dispatch(const A* plane, const AlignTables<A>& t, int64_t k,
                                              const AlignParams& p, A* block) {
  switch (p.mode) {
    case AlignMode::kAvg:
      return align_roi_block<V, static_cast<int>(AlignMode::kAvg)>(plane, t, k, p, block);
    case AlignMode::kMax:
      return align_roi_block<V, static_cast<int>(AlignMode::kMax)>(plane, t, k, p, block);
    case AlignMode::kOnnxMax:
      return align_roi_block<V, static_cast<int>(AlignMode::kOnnxMax)>(plane, t, k, p, block);
  }
}

// Avg bins of RoI k over `planes` staged blocks `second` elements apart (for_each_roi_block<2> or
// <4>), as many as it can in one walk of its tables: four, else two (average_bin_blocks), the rest
// one at a time; results `oh * ow * kB` apart.
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void average_roi_blocks(const A* plane, int64_t planes, std::ptrdiff_t second,
                                              const AlignTables<A>& t, int64_t k, const AlignParams& p, A* block) {
  constexpr int kB = block_channels<A>();
  const int64_t oh = p.output_height, ow = p.output_width;
  const std::ptrdiff_t results = oh * ow * kB;
  int64_t j = 0;
  const auto walk = [&](auto bin) ROI_OPS_LAMBDA_INLINE {
    for (int64_t ph = 0; ph < oh; ++ph) {
      const Span y = t.y_bins[static_cast<std::size_t>(k * oh + ph)];
      for (int64_t pw = 0; pw < ow; ++pw) {
        const Span x = t.x_bins[static_cast<std::size_t>(k * ow + pw)];
        bin(plane + j * second, t.y_cells.data() + y.first, y.count, t.x_cells.data() + x.first, x.count,
            block + j * results + (ph * ow + pw) * kB);
      }
    }
  };
  if (planes - j >= 4) {
    walk([&](const A* at, const Cell<A>* ys, int64_t ny, const Cell<A>* xs, int64_t nx, A* out) ROI_OPS_LAMBDA_INLINE {
      average_bin_blocks<4, V>(at, second, ys, ny, xs, nx, t.divisor[k], out, results);
    });
    j += 4;
  }
  if (planes - j >= 2) {
    walk([&](const A* at, const Cell<A>* ys, int64_t ny, const Cell<A>* xs, int64_t nx, A* out) ROI_OPS_LAMBDA_INLINE {
      average_bin_blocks<2, V>(at, second, ys, ny, xs, nx, t.divisor[k], out, results);
    });
    j += 2;
  }
  if (planes - j >= 1)
    align_roi_block<V, static_cast<int>(AlignMode::kAvg)>(plane + j * second, t, k, p, block + j * results);
}

#ifdef ROI_OPS_HAVE_AVX512_PATH
// In zmm registers (lanes.h, Line): a cell of four blocks is four FMAs, each addressing its block
// from its own base (average_bin_blocks says why, and what it gained over Lanes' ymm pairs).
template <typename A>
ROI_OPS_AVX512 void average_roi_avx512(const A* plane, int64_t planes, std::ptrdiff_t second,
                                       const AlignTables<A>& t, int64_t k, const AlignParams& p, A* block) {
  average_roi_blocks<Line<A>>(plane, planes, second, t, k, p, block);
}
#endif

ROI_OPS_ISA_CLONES void average_roi(const float* plane, int64_t planes, std::ptrdiff_t second,
                                    const AlignTables<float>& t, int64_t k, const AlignParams& p, float* block) {
#ifdef ROI_OPS_HAVE_AVX512_PATH
  if (cpu_has_avx512()) return average_roi_avx512(plane, planes, second, t, k, p, block);
#endif
  if (wide_lanes()) return average_roi_blocks<Lanes<float>>(plane, planes, second, t, k, p, block);
  average_roi_blocks<Quarters<float>>(plane, planes, second, t, k, p, block);
}

ROI_OPS_ISA_CLONES void average_roi(const double* plane, int64_t planes, std::ptrdiff_t second,
                                    const AlignTables<double>& t, int64_t k, const AlignParams& p, double* block) {
#ifdef ROI_OPS_HAVE_AVX512_PATH
  if (cpu_has_avx512()) return average_roi_avx512(plane, planes, second, t, k, p, block);
#endif
  if (wide_lanes()) return average_roi_blocks<Lanes<double>>(plane, planes, second, t, k, p, block);
  average_roi_blocks<Quarters<double>>(plane, planes, second, t, k, p, block);
}

ROI_OPS_ISA_CLONES void align_roi(const float* plane, const AlignTables<float>& t, int64_t k, const AlignParams& p,
                                  float* block) {
  if (wide_lanes()) return align_roi_dispatch<Lanes<float>>(plane, t, k, p, block);
  align_roi_dispatch<Quarters<float>>(plane, t, k, p, block);
}

ROI_OPS_ISA_CLONES void align_roi(const double* plane, const AlignTables<double>& t, int64_t k,
                                  const AlignParams& p, double* block) {
  if (wide_lanes()) return align_roi_dispatch<Lanes<double>>(plane, t, k, p, block);
  align_roi_dispatch<Quarters<double>>(plane, t, k, p, block);
}

}  // namespace

template <typename T>
void align_boxes(const T* x, const MapShape& shape, const std::vector<math::Box<double>>& boxes,
                 const std::vector<int64_t>& batch, const AlignParams& params, T* y, const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t bins = params.output_height * params.output_width;
  AlignTables<A> tables;
  build_tables(boxes, batch, shape, params.output_height, params.output_width,
               [&](const math::Box<double>& b) {
                 return std::make_pair(
                     math::align_axis(b.y1, b.y2, params.spatial_scale, params.aligned, params.output_height,
                                      params.sampling_ratio),
                     math::align_axis(b.x1, b.x2, params.spatial_scale, params.aligned, params.output_width,
                                      params.sampling_ratio));
               },
               params.mode == AlignMode::kAvg, tables, parallel_for);
  const auto rois = std::count_if(batch.begin(), batch.end(), [](int64_t b) { return b >= 0; });
  // A few RoIs in avg mode: rows first, without staging (align_rows_first.h; W6 1.3x).
  if (params.mode == AlignMode::kAvg && rois <= kFewRois)
    return align_rows_first(x, shape, tables, batch, params.output_height, params.output_width, y, parallel_for);
  // Many bins per map cell: two channel blocks per walk of the tables (average_bin_blocks), four
  // where their planes fit in L2 (1 MB on a Zen 4). Two: W3 (7 bins a cell)
  // 1.18-1.25x, W4 (8) 1.14-1.20x at 1 and 2 threads (AMD EPYC Zen 4, paired.py libs, both load
  // orders); four, with the task buffers at fixed places (thread_task_buffers): W3 1.12x, W4
  // 1.10x (2 threads 1.21x, 1.16x). Bit-identical. Two taken everywhere: on maps with fewer bins
  // a cell the second plane's staging cost what the walk saved: W1 (0.9) 1.00x, W2 (0.4) 0.96x,
  // M1 1.02x.
  constexpr int64_t kPairedBinsPerCell = 2;
  constexpr std::size_t kFourPlaneBytes = std::size_t{1} << 20;
  if (params.mode == AlignMode::kAvg && rois * bins >= kPairedBinsPerCell * shape.n * shape.h * shape.w) {
    const std::size_t plane = block_plane_elements<A>(shape);
    const auto second = static_cast<std::ptrdiff_t>(plane);
    const auto compute = [&](const A* planes_at, int64_t planes, int64_t k, A* block) {
      average_roi(planes_at, planes, second, tables, k, params, block);
    };
    if (4 * plane * sizeof(A) <= kFourPlaneBytes)
      return for_each_roi_block<4>(x, shape, batch, bins, y, parallel_for, compute, tables.windows, tables.rows);
    return for_each_roi_block<2>(x, shape, batch, bins, y, parallel_for, compute, tables.windows, tables.rows);
  }
  for_each_roi_block(
      x, shape, batch, bins, y, parallel_for,
      [&](const A* plane, int64_t k, A* block) { align_roi(plane, tables, k, params, block); }, tables.windows,
      tables.rows);
}

template <typename T>
void roi_align(const T* x, const MapShape& shape, const RoiSet<T>& rois, const AlignParams& params, T* y,
               const ParallelFor& parallel_for) {
  const int64_t roi_block = shape.c * params.output_height * params.output_width;
  if (rois.count == 0 || roi_block == 0) return;
  std::vector<math::Box<double>> boxes;
  std::vector<int64_t> batch;
  read_boxes(rois, roi_block, y, boxes, batch);
  align_boxes(x, shape, boxes, batch, params, y, parallel_for);
}

#define ROI_OPS_INSTANTIATE(T)                                                                                \
  template void align_boxes<T>(const T*, const MapShape&, const std::vector<math::Box<double>>&,              \
                               const std::vector<int64_t>&, const AlignParams&, T*, const ParallelFor&);      \
  template void roi_align<T>(const T*, const MapShape&, const RoiSet<T>&, const AlignParams&, T*,              \
                             const ParallelFor&);
ROI_OPS_INSTANTIATE(float)
ROI_OPS_INSTANTIATE(double)
ROI_OPS_INSTANTIATE(Half)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cpu
