// RoIPool on the CPU (docs/spec.md, "RoIPool"): the max over each bin's window, one channel block at
// a time (channel_blocks.h), so each window element is one vector max. A few RoIs take the
// rows-first order instead (rows_first.h): each bin row's map rows maxed straight from the map,
// then each bin's columns of that row max.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "../math/roi_pool.h"
#include "../math/rois.h"
#include "channel_blocks.h"
#include "half.h"
#include "isa.h"
#include "lanes.h"
#include "roi_kernels.h"
#include "roi_driver.h"
#include "roi_output.h"
#include "rows_first.h"
#include "rows_first_f16c.h"

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

// The max over i < n of rows[j * n + i][x] for channels j < count, written as reduce_block does
// (returns whether transposed): the rows-first form of pool_roi's max (NaN never wins; -inf where
// every value is NaN). The channels go innermost so that their loads are in flight together.
// kN > 0 is n known when compiling (as weighted_rows in align_rows_first.cc): straight-line code
// per channel instead of a loop of unknown length. A max is the same whatever the order.
template <int kN, typename V, typename A>
ROI_OPS_ALWAYS_INLINE bool max_rows_impl(const A* const* rows, int64_t n, int64_t count, int64_t width, A* reduced,
                                         A* transposed) {
  constexpr A kLowest = -std::numeric_limits<A>::infinity();
  if constexpr (kN > 0) n = kN;
  if (width >= block_channels<A>()) {
    return reduce_block<V>(
        count, width,
        [&](int64_t j, int64_t x) ROI_OPS_LAMBDA_INLINE {
          const A* const* r = rows + j * n;
          V acc = V::splat(kLowest);
          for (int64_t i = 0; i < n; ++i) {
            const V v = V::load(r[i] + x);
            acc = select_greater(v, acc, v, acc);
          }
          return acc;
        },
        reduced, transposed);
  }
  for (int64_t j = 0; j < count; ++j)
    for (int64_t x = 0; x < width; ++x) {
      A acc = kLowest;
      for (int64_t i = 0; i < n; ++i) acc = rows[j * n + i][x] > acc ? rows[j * n + i][x] : acc;
      reduced[j * width + x] = acc;
    }
  return false;
}

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE bool max_rows_of(const A* const* rows, int64_t n, int64_t count, int64_t width, A* reduced,
                                       A* transposed) {
  switch (n) {
    case 1: return max_rows_impl<1, V>(rows, n, count, width, reduced, transposed);
    case 2: return max_rows_impl<2, V>(rows, n, count, width, reduced, transposed);
    case 3: return max_rows_impl<3, V>(rows, n, count, width, reduced, transposed);
    case 4: return max_rows_impl<4, V>(rows, n, count, width, reduced, transposed);
    case 5: return max_rows_impl<5, V>(rows, n, count, width, reduced, transposed);
    case 6: return max_rows_impl<6, V>(rows, n, count, width, reduced, transposed);
    case 7: return max_rows_impl<7, V>(rows, n, count, width, reduced, transposed);
    case 8: return max_rows_impl<8, V>(rows, n, count, width, reduced, transposed);
    default: return max_rows_impl<0, V>(rows, n, count, width, reduced, transposed);
  }
}

ROI_OPS_ISA_CLONES bool max_rows(const float* const* rows, int64_t n, int64_t count, int64_t width, float* reduced,
                                 float* transposed) {
  if (wide_lanes()) return max_rows_of<Lanes<float>>(rows, n, count, width, reduced, transposed);
  return max_rows_of<Quarters<float>>(rows, n, count, width, reduced, transposed);
}

ROI_OPS_ISA_CLONES bool max_rows(const double* const* rows, int64_t n, int64_t count, int64_t width,
                                 double* reduced, double* transposed) {
  if (wide_lanes()) return max_rows_of<Lanes<double>>(rows, n, count, width, reduced, transposed);
  return max_rows_of<Quarters<double>>(rows, n, count, width, reduced, transposed);
}

// One bin row from the transposed row max `cells` ([width, kB]); an empty window gives 0.
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void max_bin_row_impl(const A* cells, const RowsFirstRoi<A>& r, A* block) {
  constexpr int64_t kB = block_channels<A>();
  for (std::size_t pw = 0; pw < r.x_bins.size(); ++pw) {
    const Span xb = r.x_bins[pw];
    V acc = xb.count ? V::splat(-std::numeric_limits<A>::infinity()) : V{};
    for (int64_t c = xb.first; c < xb.first + xb.count; ++c) {
      const V v = V::load(cells + r.x_cells[static_cast<std::size_t>(c)].offset);
      acc = select_greater(v, acc, v, acc);
    }
    store_lanes(block + static_cast<int64_t>(pw) * kB, acc);
  }
}

ROI_OPS_ISA_CLONES void max_bin_row(const float* cells, const RowsFirstRoi<float>& r, float* block) {
  if (wide_lanes()) return max_bin_row_impl<Lanes<float>>(cells, r, block);
  max_bin_row_impl<Quarters<float>>(cells, r, block);
}

ROI_OPS_ISA_CLONES void max_bin_row(const double* cells, const RowsFirstRoi<double>& r, double* block) {
  if (wide_lanes()) return max_bin_row_impl<Lanes<double>>(cells, r, block);
  max_bin_row_impl<Quarters<double>>(cells, r, block);
}

// A RoI's bin windows in the terms of rows_first.h (`win`: the union of its windows).
template <typename A>
RowsFirstRoi<A> pool_rows_first_roi(const math::Box<double>& box, const PoolParams& p, const MapShape& s,
                                    const Window& win) {
  constexpr int64_t kB = block_channels<A>();
  RowsFirstRoi<A> r;
  if (win.area() == 0) return r;  // every bin empty: 0
  r.x0 = win.x0;
  r.width = win.x1 - win.x0;
  const auto ay = math::pool_axis(box.y1, box.y2, p.spatial_scale, p.output_height, true);
  const auto ax = math::pool_axis(box.x1, box.x2, p.spatial_scale, p.output_width, true);
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    int64_t h0, h1;
    math::pool_window(ay, ph, s.h, &h0, &h1);
    r.y_bins.push_back({static_cast<int64_t>(r.y_row.size()), std::max<int64_t>(h1 - h0, 0)});
    for (int64_t h = h0; h < h1; ++h) r.y_row.push_back(h), r.y_w.push_back(A(1));
  }
  for (int64_t pw = 0; pw < p.output_width; ++pw) {
    int64_t w0, w1;
    math::pool_window(ax, pw, s.w, &w0, &w1);
    r.x_bins.push_back({static_cast<int64_t>(r.x_cells.size()), std::max<int64_t>(w1 - w0, 0)});
    for (int64_t w = w0; w < w1; ++w) r.x_cells.push_back({(w - r.x0) * kB, A(1)});
  }
  return r;
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
  // A few RoIs: rows first, without staging (rows_first.h).
  if (std::count_if(batch.begin(), batch.end(), [](int64_t b) { return b >= 0; }) <= kFewRois) {
    std::vector<int64_t> few;
    std::vector<RowsFirstRoi<A>> plan;
    for (std::size_t k = 0; k < boxes.size(); ++k)
      if (batch[k] >= 0) {
        few.push_back(static_cast<int64_t>(k));
        plan.push_back(pool_rows_first_roi<A>(boxes[k], params, shape, windows[k]));
      }
    const auto max_of_rows = [](const T* const* rows, const A*, int64_t n, int64_t count, int64_t width, A* out,
                                A* transposed) {
      if constexpr (std::is_same_v<T, A>) {
        return max_rows(rows, n, count, width, out, transposed);
      } else {
#ifdef ROI_OPS_HAVE_F16C_ROWS
        if (width >= 8 && cpu_has_f16c()) {
          max_half_rows_f16c(rows, n, count, width, out);
          return false;
        }
#endif
        return max_rows(widened_rows(rows, static_cast<std::size_t>(n * count), width), n, count, width, out,
                        transposed);
      }
    };
    const auto bin_row = [](const A* cells, const RowsFirstRoi<A>& r, A* row) { max_bin_row(cells, r, row); };
    return rows_first(x, shape, few, plan, batch, params.output_height, params.output_width, y, parallel_for,
                      max_of_rows, bin_row);
  }
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
