// The bin computation shared by the align-family CPU kernels (RoIAlign, PSRoIAlign,
// MultiScaleRoIAlign).
//
// Bilinear weights are separable, so each RoI's sample rows and columns are turned into taps
// once (offsets and weights, in math/ terms) before any channel is touched. A bin's value over
// one staged channel block (channel_blocks.h) is then a few vector FMAs per sample, with the
// accumulators in registers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "../math/bilinear.h"
#include "../math/roi_align.h"
#include "../math/rois.h"
#include "channel_blocks.h"
#include "isa.h"
#include "shapes.h"

namespace roi_ops::cpu {

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
  std::vector<Window> windows;       // the cells each RoI's taps read
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

// The cells [first, last) that taps[from:] read along an axis whose offsets are cells * stride.
template <typename A>
std::pair<int64_t, int64_t> tap_cells(const std::vector<Tap<A>>& taps, std::size_t from, int64_t stride) {
  if (from == taps.size() || stride == 0) return {0, 0};  // stride 0: a map of width 0, nothing to read
  int64_t lo = taps[from].lo, hi = taps[from].hi;
  for (std::size_t i = from + 1; i < taps.size(); ++i) {
    lo = std::min(lo, taps[i].lo);
    hi = std::max(hi, taps[i].hi);
  }
  return {lo / stride, hi / stride + 1};
}

// `axes(box)` returns the RoI's {y axis, x axis} (math::AlignAxis<double>). RoIs with
// batch[k] < 0 are skipped: they keep the indexing with empty spans.
template <typename A, typename Axes>
void build_tables(const std::vector<math::Box<double>>& boxes, const std::vector<int64_t>& batch,
                  const MapShape& s, int64_t out_h, int64_t out_w, Axes axes, AlignTables<A>& t) {
  constexpr int64_t kB = block_channels<A>();
  const std::size_t K = boxes.size();
  t.y_bins.reserve(K * static_cast<std::size_t>(out_h));
  t.x_bins.reserve(K * static_cast<std::size_t>(out_w));
  t.divisor.resize(K);
  t.grid_samples.resize(K);
  t.windows.assign(K, Window{});
  for (std::size_t k = 0; k < K; ++k) {
    if (batch[k] < 0) {
      t.y_bins.insert(t.y_bins.end(), static_cast<std::size_t>(out_h), Span{0, 0});
      t.x_bins.insert(t.x_bins.end(), static_cast<std::size_t>(out_w), Span{0, 0});
      t.divisor[k] = A(1);
      t.grid_samples[k] = 0;
      continue;
    }
    const std::pair<math::AlignAxis<double>, math::AlignAxis<double>> yx = axes(boxes[k]);
    const std::size_t y_from = t.y_taps.size(), x_from = t.x_taps.size();
    add_axis(yx.first, out_h, s.h, s.w * kB, t.y_taps, t.y_bins);
    add_axis(yx.second, out_w, s.w, kB, t.x_taps, t.x_bins);
    const auto rows = tap_cells(t.y_taps, y_from, s.w * kB);
    const auto cols = tap_cells(t.x_taps, x_from, kB);
    t.windows[k] = {rows.first, rows.second, cols.first, cols.second};
    t.divisor[k] = static_cast<A>(math::sample_count(yx.first, yx.second));
    t.grid_samples[k] = yx.first.grid * yx.second.grid;
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

// One bin over one channel block: kB lanes, accumulators in registers (docs/spec.md, "RoIAlign",
// modes avg / max / onnx_max).
template <typename A, int kMode>
ROI_OPS_ALWAYS_INLINE void align_bin(const A* plane, const Tap<A>* ys, int64_t ny, const Tap<A>* xs, int64_t nx,
                                     A divisor, double grid_samples, A* out) {
  constexpr int kB = block_channels<A>();
  if constexpr (kMode == static_cast<int>(math::AlignMode::kAvg)) {
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
                            if constexpr (kMode == static_cast<int>(math::AlignMode::kMax)) {
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

// Bin (ph, pw) of RoI k from the tables.
template <typename A, int kMode>
ROI_OPS_ALWAYS_INLINE void align_table_bin(const A* plane, const AlignTables<A>& t, int64_t k, int64_t ph,
                                           int64_t pw, int64_t out_h, int64_t out_w, A* out) {
  const Span y = t.y_bins[static_cast<std::size_t>(k * out_h + ph)];
  const Span x = t.x_bins[static_cast<std::size_t>(k * out_w + pw)];
  align_bin<A, kMode>(plane, t.y_taps.data() + y.first, y.count, t.x_taps.data() + x.first, x.count, t.divisor[k],
                      t.grid_samples[k], out);
}

}  // namespace roi_ops::cpu
