// RoIAlign on the CPU (SPEC.md, "RoIAlign").
//
// Bilinear weights are separable, so each RoI's sample rows and columns are turned into taps
// once (offsets and weights, in math/ terms) before any channel is touched. The map is then
// walked one channel block at a time (channel_blocks.h): every tap reads one vector of channels,
// and a bin's value is a few vector FMAs per sample with the accumulators in registers.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "../math/bilinear.h"
#include "../math/roi_align.h"
#include "../math/rois.h"
#include "channel_blocks.h"
#include "isa.h"
#include "roi_kernels.h"
#include "roi_driver.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

using math::AlignMode;

// One valid axis tap with offsets premultiplied into the staged block plane.
template <typename A>
struct Tap {
  int64_t lo, hi;
  A w_lo, w_hi;
};

struct Span {
  int64_t first, count;
};

// Every RoI's taps: bin p of RoI k along y is y_bins[k * oh + p], a span of y_taps; same for x.
template <typename A>
struct AlignTables {
  std::vector<Tap<A>> y_taps, x_taps;
  std::vector<Span> y_bins, x_bins;
  std::vector<A> divisor;            // max(grid_h * grid_w, 1) per RoI
  std::vector<double> grid_samples;  // grid_h * grid_w per RoI (may exceed any integer)
};

template <typename A>
void add_axis(const math::AlignAxis<double>& a, int64_t bins, int64_t size, int64_t stride,
              std::vector<Tap<A>>& taps, std::vector<Span>& spans) {
  for (int64_t p = 0; p < bins; ++p) {
    int64_t i0, i1;
    math::bin_sample_range(a, p, size, &i0, &i1);
    Span s{static_cast<int64_t>(taps.size()), 0};
    for (int64_t i = i0; i < i1; ++i) {
      const auto t = math::axis_tap(math::sample_position(a, p, i), size);
      if (!t.valid) continue;  // a sample outside the map is 0
      taps.push_back({t.lo * stride, t.hi * stride, static_cast<A>(t.w_lo), static_cast<A>(t.w_hi)});
      ++s.count;
    }
    spans.push_back(s);
  }
}

template <typename A>
void build_tables(const std::vector<math::Box<double>>& boxes, const std::vector<int64_t>& batch,
                  const MapShape& s, const AlignParams& p, AlignTables<A>& t) {
  constexpr int64_t kB = block_channels<A>();
  const std::size_t K = boxes.size();
  t.y_bins.reserve(K * static_cast<std::size_t>(p.output_height));
  t.x_bins.reserve(K * static_cast<std::size_t>(p.output_width));
  t.divisor.resize(K);
  t.grid_samples.resize(K);
  for (std::size_t k = 0; k < K; ++k) {
    const auto& b = boxes[k];
    if (batch[k] < 0) {  // skipped (non-finite) RoI: keep the indexing with empty spans
      t.y_bins.insert(t.y_bins.end(), static_cast<std::size_t>(p.output_height), Span{0, 0});
      t.x_bins.insert(t.x_bins.end(), static_cast<std::size_t>(p.output_width), Span{0, 0});
      t.divisor[k] = A(1);
      t.grid_samples[k] = 0;
      continue;
    }
    const auto ay = math::align_axis(b.y1, b.y2, p.spatial_scale, p.aligned, p.output_height, p.sampling_ratio);
    const auto ax = math::align_axis(b.x1, b.x2, p.spatial_scale, p.aligned, p.output_width, p.sampling_ratio);
    add_axis(ay, p.output_height, s.h, s.w * kB, t.y_taps, t.y_bins);
    add_axis(ax, p.output_width, s.w, kB, t.x_taps, t.x_bins);
    t.divisor[k] = static_cast<A>(math::sample_count(ay, ax));
    t.grid_samples[k] = ay.grid * ax.grid;
  }
}

// Calls visit(w00, w01, w10, w11, p00, p01, p10, p11) for every sample of a bin: its four corner
// weights and the channel vectors of its four corners in the staged plane.
template <typename A, typename Visit>
ROI_OPS_ALWAYS_INLINE void for_each_sample(const A* plane, const Tap<A>* ys, int64_t ny, const Tap<A>* xs, int64_t nx,
                                           Visit&& visit) {
  for (int64_t iy = 0; iy < ny; ++iy) {
    const Tap<A> ty = ys[iy];
    const A* row_lo = plane + ty.lo;
    const A* row_hi = plane + ty.hi;
    for (int64_t ix = 0; ix < nx; ++ix) {
      const Tap<A> tx = xs[ix];
      visit(ty.w_lo * tx.w_lo, ty.w_lo * tx.w_hi, ty.w_hi * tx.w_lo, ty.w_hi * tx.w_hi, row_lo + tx.lo,
            row_lo + tx.hi, row_hi + tx.lo, row_hi + tx.hi);
    }
  }
}

// One bin over one channel block: kB lanes, accumulators in registers.
template <typename A, int kMode>
ROI_OPS_ALWAYS_INLINE void align_bin(const A* plane, const Tap<A>* ys, int64_t ny, const Tap<A>* xs, int64_t nx,
                                     A divisor, double grid_samples, A* out) {
  constexpr int kB = block_channels<A>();
  if constexpr (kMode == static_cast<int>(AlignMode::kAvg)) {
    // Top and bottom corner pairs accumulate separately: two independent FMA chains.
    A top[kB] = {}, bottom[kB] = {};
    for_each_sample(plane, ys, ny, xs, nx,
                    [&](A w00, A w01, A w10, A w11, const A* p00, const A* p01, const A* p10, const A* p11)
                        ROI_OPS_LAMBDA_INLINE {
                          for (int j = 0; j < kB; ++j) {
                            top[j] += w00 * p00[j] + w01 * p01[j];
                            bottom[j] += w10 * p10[j] + w11 * p11[j];
                          }
                        });
    for (int j = 0; j < kB; ++j) out[j] = (top[j] + bottom[j]) / divisor;
  } else {
    A acc[kB];
    for (int j = 0; j < kB; ++j) acc[j] = -std::numeric_limits<A>::infinity();
    for_each_sample(plane, ys, ny, xs, nx,
                    [&](A w00, A w01, A w10, A w11, const A* p00, const A* p01, const A* p10, const A* p11)
                        ROI_OPS_LAMBDA_INLINE {
                          for (int j = 0; j < kB; ++j) {
                            A v;
                            if constexpr (kMode == static_cast<int>(AlignMode::kMax)) {
                              v = w00 * p00[j] + w01 * p01[j] + w10 * p10[j] + w11 * p11[j];
                            } else {
                              // ONNX Runtime's max: the largest weighted corner, not the interpolated value.
                              const A a = w00 * p00[j], b = w01 * p01[j], c = w10 * p10[j], d = w11 * p11[j];
                              const A ab = a > b ? a : b, cd = c > d ? c : d;
                              v = ab > cd ? ab : cd;
                            }
                            acc[j] = v > acc[j] ? v : acc[j];
                          }
                        });
    // A bin without samples is 0, and samples outside the map count as 0 in the max.
    const bool none = ny * nx == 0;
    const bool some_outside = static_cast<double>(ny * nx) < grid_samples;
    for (int j = 0; j < kB; ++j) out[j] = none ? A(0) : (some_outside && acc[j] < A(0) ? A(0) : acc[j]);
  }
}

template <typename A, int kMode>
ROI_OPS_ALWAYS_INLINE void align_roi_block(const A* plane, const AlignTables<A>& t, int64_t k, const AlignParams& p,
                                           A* block) {
  constexpr int kB = block_channels<A>();
  const Span* yb = t.y_bins.data() + k * p.output_height;
  const Span* xb = t.x_bins.data() + k * p.output_width;
  for (int64_t ph = 0; ph < p.output_height; ++ph)
    for (int64_t pw = 0; pw < p.output_width; ++pw)
      align_bin<A, kMode>(plane, t.y_taps.data() + yb[ph].first, yb[ph].count, t.x_taps.data() + xb[pw].first,
                          xb[pw].count, t.divisor[k], t.grid_samples[k], block + (ph * p.output_width + pw) * kB);
}

template <typename A>
ROI_OPS_ALWAYS_INLINE void align_roi_dispatch(const A* plane, const AlignTables<A>& t, int64_t k,
                                              const AlignParams& p, A* block) {
  switch (p.mode) {
    case AlignMode::kAvg:
      return align_roi_block<A, static_cast<int>(AlignMode::kAvg)>(plane, t, k, p, block);
    case AlignMode::kMax:
      return align_roi_block<A, static_cast<int>(AlignMode::kMax)>(plane, t, k, p, block);
    case AlignMode::kOnnxMax:
      return align_roi_block<A, static_cast<int>(AlignMode::kOnnxMax)>(plane, t, k, p, block);
  }
}

ROI_OPS_ISA_CLONES void align_roi(const float* plane, const AlignTables<float>& t, int64_t k, const AlignParams& p,
                                  float* block) {
  align_roi_dispatch(plane, t, k, p, block);
}

ROI_OPS_ISA_CLONES void align_roi(const double* plane, const AlignTables<double>& t, int64_t k,
                                  const AlignParams& p, double* block) {
  align_roi_dispatch(plane, t, k, p, block);
}

}  // namespace

template <typename T>
void roi_align(const T* x, const MapShape& shape, const RoiSet<T>& rois, const AlignParams& params, T* y,
               const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t bins = params.output_height * params.output_width;
  const int64_t roi_block = shape.c * bins;
  if (rois.count == 0 || roi_block == 0) return;

  std::vector<math::Box<double>> boxes;
  std::vector<int64_t> batch;
  read_boxes(rois, roi_block, y, boxes, batch);
  AlignTables<A> tables;
  build_tables(boxes, batch, shape, params, tables);
  for_each_roi_block(x, shape, batch, bins, y, parallel_for, [&](const A* plane, int64_t k, A* block) {
    align_roi(plane, tables, k, params, block);
  });
}

template void roi_align<float>(const float*, const MapShape&, const RoiSet<float>&, const AlignParams&, float*,
                               const ParallelFor&);
template void roi_align<double>(const double*, const MapShape&, const RoiSet<double>&, const AlignParams&, double*,
                                const ParallelFor&);
template void roi_align<Half>(const Half*, const MapShape&, const RoiSet<Half>&, const AlignParams&, Half*,
                              const ParallelFor&);

}  // namespace roi_ops::cpu
