#include "align_rows_first.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "half.h"
#include "isa.h"
#include "lanes.h"
#include "rows_first.h"
#include "rows_first_f16c.h"

namespace roi_ops::cpu {
namespace {

// AlignTables' cells in the terms of rows_first.h.
template <typename A>
RowsFirstRoi<A> rows_first_roi(const AlignTables<A>& t, int64_t k, int64_t out_h, int64_t out_w, const MapShape& s) {
  constexpr int64_t kB = block_channels<A>();
  const auto uk = static_cast<std::size_t>(k);
  RowsFirstRoi<A> r;
  r.x0 = t.windows[uk].x0;
  r.width = t.windows[uk].x1 - r.x0;
  r.divisor = t.divisor[uk];
  if (r.width <= 0) return r;  // nothing to read (a map of width 0 included): every bin is 0
  for (int64_t p = 0; p < out_h; ++p) {
    const Span b = t.y_bins[uk * static_cast<std::size_t>(out_h) + static_cast<std::size_t>(p)];
    r.y_bins.push_back({static_cast<int64_t>(r.y_row.size()), b.count});
    for (int64_t i = b.first; i < b.first + b.count; ++i) {
      r.y_row.push_back(t.y_cells[static_cast<std::size_t>(i)].offset / (s.w * kB));
      r.y_w.push_back(t.y_cells[static_cast<std::size_t>(i)].w);
    }
  }
  for (int64_t p = 0; p < out_w; ++p) {
    const Span b = t.x_bins[uk * static_cast<std::size_t>(out_w) + static_cast<std::size_t>(p)];
    r.x_bins.push_back({static_cast<int64_t>(r.x_cells.size()), b.count});
    for (int64_t j = b.first; j < b.first + b.count; ++j) {
      const Cell<A>& c = t.x_cells[static_cast<std::size_t>(j)];
      r.x_cells.push_back({c.offset - r.x0 * kB, c.w});
    }
  }
  return r;
}

// The weighted sums over i < n of w[i] * rows[j * n + i][x], for channels j < count and x <
// width (n >= 1), written as reduce_block does (returns whether transposed). The channels go
// innermost so that the loads of all `count` channel planes are in flight together, as in staging
// (channel by channel, W6 was 1.15x slower). kN > 0 is n known when compiling: a bin row sums a
// few rows (2-4 with sampling ratio 2), and with a loop of unknown length per channel each
// channel's sum waited on the previous one's loop exit (W6 MultiScaleRoIAlign 1.07x, RoIAlign 1.08x
// faster with kN; the sums round differently: W6 outputs up to 1.2e-7 apart).
template <int kN, typename V, typename A>
ROI_OPS_ALWAYS_INLINE bool weighted_rows_impl(const A* const* rows, const A* w, int64_t n, int64_t count,
                                              int64_t width, A* sums, A* transposed) {
  if constexpr (kN > 0) n = kN;
  if (width >= block_channels<A>()) {
    return reduce_block<V>(
        count, width,
        [&](int64_t j, int64_t x) ROI_OPS_LAMBDA_INLINE {
          const A* const* r = rows + j * n;
          V acc = w[0] * V::load(r[0] + x);
          for (int64_t i = 1; i < n; ++i) acc += w[i] * V::load(r[i] + x);
          return acc;
        },
        sums, transposed);
  }
  for (int64_t j = 0; j < count; ++j)
    for (int64_t x = 0; x < width; ++x) {
      const A* const* r = rows + j * n;
      A acc = w[0] * r[0][x];
      for (int64_t i = 1; i < n; ++i) acc += w[i] * r[i][x];
      sums[j * width + x] = acc;
    }
  return false;
}

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE bool weighted_rows_of(const A* const* rows, const A* w, int64_t n, int64_t count,
                                            int64_t width, A* sums, A* transposed) {
  switch (n) {
    case 1: return weighted_rows_impl<1, V>(rows, w, n, count, width, sums, transposed);
    case 2: return weighted_rows_impl<2, V>(rows, w, n, count, width, sums, transposed);
    case 3: return weighted_rows_impl<3, V>(rows, w, n, count, width, sums, transposed);
    case 4: return weighted_rows_impl<4, V>(rows, w, n, count, width, sums, transposed);
    default: return weighted_rows_impl<0, V>(rows, w, n, count, width, sums, transposed);
  }
}

ROI_OPS_ISA_CLONES bool weighted_rows(const float* const* rows, const float* w, int64_t n, int64_t count,
                                      int64_t width, float* sums, float* transposed) {
  if (wide_lanes()) return weighted_rows_of<Lanes<float>>(rows, w, n, count, width, sums, transposed);
  return weighted_rows_of<Quarters<float>>(rows, w, n, count, width, sums, transposed);
}

ROI_OPS_ISA_CLONES bool weighted_rows(const double* const* rows, const double* w, int64_t n, int64_t count,
                                      int64_t width, double* sums, double* transposed) {
  if (wide_lanes()) return weighted_rows_of<Lanes<double>>(rows, w, n, count, width, sums, transposed);
  return weighted_rows_of<Quarters<double>>(rows, w, n, count, width, sums, transposed);
}

// One bin row over a block: bin pw from the transposed sums `cells` ([width, kB]).
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void bin_row_impl(const A* cells, const RowsFirstRoi<A>& r, A* block) {
  constexpr int64_t kB = block_channels<A>();
  const Cell<A> whole_row{0, A(1)};  // the sums are one row already: weight 1 keeps them exact
  for (std::size_t pw = 0; pw < r.x_bins.size(); ++pw) {
    const Span x = r.x_bins[pw];
    average_bin<V>(cells, &whole_row, 1, r.x_cells.data() + x.first, x.count, r.divisor,
                   block + static_cast<int64_t>(pw) * kB);
  }
}

ROI_OPS_ISA_CLONES void bin_row(const float* cells, const RowsFirstRoi<float>& r, float* block) {
  if (wide_lanes()) return bin_row_impl<Lanes<float>>(cells, r, block);
  bin_row_impl<Quarters<float>>(cells, r, block);
}

ROI_OPS_ISA_CLONES void bin_row(const double* cells, const RowsFirstRoi<double>& r, double* block) {
  if (wide_lanes()) return bin_row_impl<Lanes<double>>(cells, r, block);
  bin_row_impl<Quarters<double>>(cells, r, block);
}

}  // namespace

template <typename T>
void align_rows_first(const T* x, const MapShape& s, const AlignTables<compute_t<T>>& t,
                      const std::vector<int64_t>& batch, int64_t out_h, int64_t out_w, T* y,
                      const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  std::vector<int64_t> rois;
  std::vector<RowsFirstRoi<A>> plan;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    if (batch[k] < 0) continue;
    rois.push_back(static_cast<int64_t>(k));
    plan.push_back(rows_first_roi(t, static_cast<int64_t>(k), out_h, out_w, s));
  }
  const auto sum_rows = [](const T* const* rows, const A* w, int64_t n, int64_t count, int64_t width, A* sums,
                           A* transposed) {
    if constexpr (std::is_same_v<T, A>) {
      return weighted_rows(rows, w, n, count, width, sums, transposed);
    } else {
#ifdef ROI_OPS_HAVE_F16C_ROWS
      if (width >= 8 && cpu_has_f16c_fma()) {
        weighted_half_rows_f16c(rows, w, n, count, width, sums);
        return false;
      }
#endif
      return weighted_rows(widened_rows(rows, static_cast<std::size_t>(n * count), width), w, n, count, width,
                           sums, transposed);
    }
  };
  rows_first(x, s, rois, plan, batch, out_h, out_w, y, parallel_for, sum_rows,
             [](const A* cells, const RowsFirstRoi<A>& r, A* block_row) { bin_row(cells, r, block_row); });
}

template void align_rows_first<float>(const float*, const MapShape&, const AlignTables<float>&,
                                      const std::vector<int64_t>&, int64_t, int64_t, float*, const ParallelFor&);
template void align_rows_first<double>(const double*, const MapShape&, const AlignTables<double>&,
                                       const std::vector<int64_t>&, int64_t, int64_t, double*, const ParallelFor&);
template void align_rows_first<Half>(const Half*, const MapShape&, const AlignTables<float>&,
                                     const std::vector<int64_t>&, int64_t, int64_t, Half*, const ParallelFor&);

}  // namespace roi_ops::cpu
