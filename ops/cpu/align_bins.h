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
#include <type_traits>
#include <utility>
#include <vector>

#include "../math/bilinear.h"
#include "../math/roi_align.h"
#include "../math/rois.h"
#include "channel_blocks.h"
#include "isa.h"
#include "lanes.h"
#include "parallel.h"
#include "shapes.h"

namespace roi_ops::cpu {

// One valid axis tap with offsets premultiplied into the staged block plane.
template <typename A>
struct Tap {
  int64_t lo, hi;
  A w_lo, w_hi;
};

// A row (or column) that a bin reads, with the summed weight of every sample tap on it: the
// average is separable, sum over rows r and columns c of w_r * w_c * cell(r, c), so a bin reads
// each cell once however many samples share it (adaptive sampling of a large RoI puts about two
// samples per cell: W3 reads half the cells a per-sample loop reads). The max modes need
// every sample's value and keep the taps.
template <typename A>
struct Cell {
  int64_t offset;
  A w;
};

struct Span {
  int64_t first, count;
};

// Every RoI's taps (max modes) or cells (avg): bin p of RoI k along y is y_bins[k * oh + p], a
// span of y_taps or y_cells; same for x.
template <typename A>
struct AlignTables {
  bool cells = false;  // avg: y_cells / x_cells; max modes: y_taps / x_taps
  std::vector<Tap<A>> y_taps, x_taps;
  std::vector<Cell<A>> y_cells, x_cells;
  std::vector<Span> y_bins, x_bins;
  std::vector<A> divisor;            // max(grid_h * grid_w, 1) per RoI
  std::vector<double> grid_samples;  // grid_h * grid_w per RoI (may exceed any integer)
  std::vector<Window> windows;       // the cells each RoI's taps read
  ReadLists rows;                    // the rows of its window each RoI reads
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

// As add_axis, each bin's taps merged into cells (Cell), in increasing order; weights are summed
// in double, in sample order. Zero weights are kept, so a bin reads the same cells as its taps do.
template <typename A>
void add_axis_cells(const math::AlignAxis<double>& a, int64_t bins, int64_t size, int64_t stride,
                    std::vector<Cell<A>>& cells, std::vector<Span>& spans) {
  thread_local std::vector<std::pair<int64_t, double>> bin;  // per thread: no allocation per axis
  auto add = [&](int64_t cell, double w) {  // a cell is new or already in `bin`
    std::size_t j = bin.size();
    while (j > 0 && bin[j - 1].first > cell) --j;
    if (j > 0 && bin[j - 1].first == cell)
      bin[j - 1].second += w;
    else if (j == bin.size())  // the usual case: past the last cell
      bin.emplace_back(cell, w);
    else
      bin.insert(bin.begin() + static_cast<std::ptrdiff_t>(j), {cell, w});
  };
  // Fields are written in place: GCC built a pushed {offset, w} on the stack and reloaded it as one
  // 16-byte vector, which stalled on the two smaller stores (store forwarding fails).
  auto emit = [&](int64_t cell, double w) {
    Cell<A>& c = cells.emplace_back();
    c.offset = cell * stride;
    c.w = static_cast<A>(w);
  };
  // A bin whose samples all lie inside [0, size - 1) on an axis stepping forward by at most one
  // cell reads every cell from its first sample's to one past its last, and each sample's taps are
  // its lowest cell's or the next: its cells are merged in two registers, with no search, and
  // bin_sample_range (which would give all its samples) is skipped. 1.5x faster on W3's axes.
  const bool forward = a.step > 0 && a.step <= 1 && a.grid <= 4096;
  const int64_t grid = forward ? static_cast<int64_t>(a.grid) : 0;
  for (int64_t p = 0; p < bins; ++p) {
    Span& s = spans.emplace_back();
    s.first = static_cast<int64_t>(cells.size());
    if (forward) {
      const double first = math::sample_position(a, p, 0), last = math::sample_position(a, p, grid - 1);
      if (first >= 0 && last < static_cast<double>(size - 1)) {
        int64_t c0 = static_cast<int64_t>(first);  // the open cells: c0 and c0 + 1
        double w0 = 0, w1 = 0;
        for (int64_t i = 0; i < grid; ++i) {
          const auto t = math::axis_tap(math::sample_position(a, p, i), size);
          if (t.lo == c0) {
            w0 += t.w_lo;
            w1 += t.w_hi;
            continue;
          }
          emit(c0, w0);  // t.lo is c0 + 1, or c0 + 2 where rounding made a step just over 1
          if (t.lo == c0 + 1) {
            w0 = w1 + t.w_lo;
          } else {
            emit(c0 + 1, w1);
            w0 = t.w_lo;
          }
          c0 = t.lo;
          w1 = t.w_hi;
        }
        emit(c0, w0);
        emit(c0 + 1, w1);
        s.count = static_cast<int64_t>(cells.size()) - s.first;
        continue;
      }
    }
    int64_t i0, i1;
    math::bin_sample_range(a, p, size, &i0, &i1);
    bin.clear();
    for (int64_t i = i0; i < i1; ++i) {
      const auto t = math::axis_tap(math::sample_position(a, p, i), size);
      if (!t.valid) continue;  // a sample outside the map is 0
      add(t.lo, t.w_lo);
      add(t.hi, t.w_hi);
    }
    for (const auto& [cell, w] : bin) emit(cell, w);
    s.count = static_cast<int64_t>(bin.size());
  }
}

// The cells [first, last) that entries[from:] read along an axis whose offsets are cells * stride;
// `range(entry)` gives an entry's lowest and highest offset.
template <typename E, typename Range>
std::pair<int64_t, int64_t> read_cells(const std::vector<E>& entries, std::size_t from, int64_t stride, Range range) {
  if (from == entries.size() || stride == 0) return {0, 0};  // stride 0: a map of width 0, nothing to read
  auto [lo, hi] = range(entries[from]);
  for (std::size_t i = from + 1; i < entries.size(); ++i) {
    const auto [l, h] = range(entries[i]);
    lo = std::min(lo, l);
    hi = std::max(hi, h);
  }
  return {lo / stride, hi / stride + 1};
}

// Appends the rows read by the y entries from `from` on (offsets are rows * stride).
template <typename A>
void add_rows(AlignTables<A>& t, std::size_t from, int64_t stride) {
  thread_local std::vector<int64_t> r;
  r.clear();
  if (stride > 0) {
    if (t.cells) {
      for (std::size_t i = from; i < t.y_cells.size(); ++i) r.push_back(t.y_cells[i].offset / stride);
    } else {
      for (std::size_t i = from; i < t.y_taps.size(); ++i) {
        r.push_back(t.y_taps[i].lo / stride);
        r.push_back(t.y_taps[i].hi / stride);
      }
    }
  }
  t.rows.add(r);
}

// Appends RoIs [k0, k1) to `t`. `axes(box)` returns the RoI's {y axis, x axis}
// (math::AlignAxis<double>); `t.cells` picks the avg form (Cell), else the taps. RoIs with
// batch[k] < 0 keep the indexing with empty spans.
template <typename A, typename Axes>
void add_roi_tables(const std::vector<math::Box<double>>& boxes, const std::vector<int64_t>& batch, std::size_t k0,
                    std::size_t k1, const MapShape& s, int64_t out_h, int64_t out_w, Axes& axes, AlignTables<A>& t) {
  constexpr int64_t kB = block_channels<A>();
  auto tap_range = [](const Tap<A>& e) { return std::make_pair(e.lo, e.hi); };
  auto cell_range = [](const Cell<A>& e) { return std::make_pair(e.offset, e.offset); };
  for (std::size_t k = k0; k < k1; ++k) {
    if (batch[k] < 0) {
      t.y_bins.insert(t.y_bins.end(), static_cast<std::size_t>(out_h), Span{0, 0});
      t.x_bins.insert(t.x_bins.end(), static_cast<std::size_t>(out_w), Span{0, 0});
      t.divisor.push_back(A(1));
      t.grid_samples.push_back(0);
      t.windows.push_back(Window{});
      std::vector<int64_t> none;
      t.rows.add(none);
      continue;
    }
    const std::pair<math::AlignAxis<double>, math::AlignAxis<double>> yx = axes(boxes[k]);
    std::pair<int64_t, int64_t> rows, cols;
    const std::size_t y_from = t.cells ? t.y_cells.size() : t.y_taps.size();
    if (t.cells) {
      const std::size_t x_from = t.x_cells.size();
      add_axis_cells(yx.first, out_h, s.h, s.w * kB, t.y_cells, t.y_bins);
      add_axis_cells(yx.second, out_w, s.w, kB, t.x_cells, t.x_bins);
      rows = read_cells(t.y_cells, y_from, s.w * kB, cell_range);
      cols = read_cells(t.x_cells, x_from, kB, cell_range);
    } else {
      const std::size_t x_from = t.x_taps.size();
      add_axis(yx.first, out_h, s.h, s.w * kB, t.y_taps, t.y_bins);
      add_axis(yx.second, out_w, s.w, kB, t.x_taps, t.x_bins);
      rows = read_cells(t.y_taps, y_from, s.w * kB, tap_range);
      cols = read_cells(t.x_taps, x_from, kB, tap_range);
    }
    t.windows.push_back({rows.first, rows.second, cols.first, cols.second});
    add_rows(t, y_from, s.w * kB);
    t.divisor.push_back(static_cast<A>(math::sample_count(yx.first, yx.second)));
    t.grid_samples.push_back(yx.first.grid * yx.second.grid);
  }
}

// dst[at:] = src, each Span's `first` moved on by `shift` (the entries of the parts before).
template <typename V>
void copy_shifted(const V& src, V& dst, std::size_t at, int64_t shift) {
  std::copy(src.begin(), src.end(), dst.begin() + static_cast<std::ptrdiff_t>(at));
  if constexpr (std::is_same_v<typename V::value_type, Span>)
    for (std::size_t i = 0; i < src.size(); ++i) dst[at + i].first += shift;
}

// Every RoI's tables (add_roi_tables), built in parts of kTableRois RoIs in parallel and then
// copied into one AlignTables in parallel. Built serially they took 5-8% of W3's time at 1 thread
// (perf), all of it on one thread at 2 threads; in parts W3 at 2 threads ran 1.06-1.13x faster,
// W1 1.04-1.10x, at 1 thread about 1% slower (the copy). The tables do not depend on the split.
template <typename A, typename Axes>
void build_tables(const std::vector<math::Box<double>>& boxes, const std::vector<int64_t>& batch,
                  const MapShape& s, int64_t out_h, int64_t out_w, Axes axes, bool cells, AlignTables<A>& t,
                  const ParallelFor& parallel_for) {
  constexpr std::size_t kTableRois = 64;  // a part's task is ~60 us of W3's: no scheduling cost to speak of
  const std::size_t K = boxes.size();
  const std::size_t parts = (K + kTableRois - 1) / kTableRois;
  t.cells = cells;
  if (parts <= 1) return add_roi_tables(boxes, batch, 0, K, s, out_h, out_w, axes, t);
  std::vector<AlignTables<A>> part(parts);
  parallel_for(parts, [&](std::size_t i) {
    part[i].cells = cells;
    add_roi_tables(boxes, batch, i * kTableRois, std::min(K, (i + 1) * kTableRois), s, out_h, out_w, axes, part[i]);
  });
  // Where each part goes: its first entry in every vector of `t`.
  struct At {
    std::size_t y, x, y_bins, x_bins, rois, entries;
  };
  std::vector<At> at(parts + 1, At{});
  for (std::size_t i = 0; i < parts; ++i) {
    const AlignTables<A>& p = part[i];
    at[i + 1] = {at[i].y + (cells ? p.y_cells.size() : p.y_taps.size()),
                 at[i].x + (cells ? p.x_cells.size() : p.x_taps.size()),
                 at[i].y_bins + p.y_bins.size(),
                 at[i].x_bins + p.x_bins.size(),
                 at[i].rois + p.divisor.size(),
                 at[i].entries + p.rows.entries.size()};
  }
  const At& all = at[parts];
  if (cells) {
    t.y_cells.resize(all.y);
    t.x_cells.resize(all.x);
  } else {
    t.y_taps.resize(all.y);
    t.x_taps.resize(all.x);
  }
  t.y_bins.resize(all.y_bins);
  t.x_bins.resize(all.x_bins);
  t.divisor.resize(all.rois);
  t.grid_samples.resize(all.rois);
  t.windows.resize(all.rois);
  t.rows.entries.resize(all.entries);
  t.rows.first.assign(all.rois + 1, 0);
  parallel_for(parts, [&](std::size_t i) {
    const AlignTables<A>& p = part[i];
    const At& a = at[i];
    copy_shifted(p.y_cells, t.y_cells, a.y, 0);
    copy_shifted(p.x_cells, t.x_cells, a.x, 0);
    copy_shifted(p.y_taps, t.y_taps, a.y, 0);
    copy_shifted(p.x_taps, t.x_taps, a.x, 0);
    copy_shifted(p.y_bins, t.y_bins, a.y_bins, static_cast<int64_t>(a.y));
    copy_shifted(p.x_bins, t.x_bins, a.x_bins, static_cast<int64_t>(a.x));
    copy_shifted(p.divisor, t.divisor, a.rois, 0);
    copy_shifted(p.grid_samples, t.grid_samples, a.rois, 0);
    copy_shifted(p.windows, t.windows, a.rois, 0);
    copy_shifted(p.rows.entries, t.rows.entries, a.entries, 0);
    for (std::size_t k = 1; k < p.rows.first.size(); ++k)
      t.rows.first[a.rois + k] = p.rows.first[k] + static_cast<int64_t>(a.entries);
  });
}

// The cells bin (ph, pw) of RoI k reads.
template <typename A>
Window bin_window(const AlignTables<A>& t, int64_t k, int64_t ph, int64_t pw, int64_t out_h, int64_t out_w,
                  const MapShape& s) {
  constexpr int64_t kB = block_channels<A>();
  const Span y = t.y_bins[static_cast<std::size_t>(k * out_h + ph)];
  const Span x = t.x_bins[static_cast<std::size_t>(k * out_w + pw)];
  if (y.count == 0 || x.count == 0) return {};
  auto range = [&](const Span& sp, int64_t stride, bool rows) {
    int64_t lo = 0, hi = 0;
    for (int64_t i = sp.first; i < sp.first + sp.count; ++i) {
      int64_t a, b;
      if (t.cells) {
        a = b = (rows ? t.y_cells : t.x_cells)[static_cast<std::size_t>(i)].offset;
      } else {
        const Tap<A>& tap = (rows ? t.y_taps : t.x_taps)[static_cast<std::size_t>(i)];
        a = tap.lo, b = tap.hi;
      }
      lo = i == sp.first ? a : std::min(lo, a);
      hi = i == sp.first ? b : std::max(hi, b);
    }
    return std::make_pair(lo / stride, hi / stride + 1);
  };
  const auto [y0, y1] = range(y, s.w * kB, true);
  const auto [x0, x1] = range(x, kB, false);
  return {y0, y1, x0, x1};
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

// One avg bin over one channel block: kB lanes, accumulators in registers (docs/spec.md,
// "RoIAlign", mode avg), from the bin's cells.
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void average_bin(const A* plane, const Cell<A>* ys, int64_t ny, const Cell<A>* xs, int64_t nx,
                                       A divisor, A* out) {
  V acc{};
  for (int64_t r = 0; r < ny; ++r) {
    const A* row = plane + ys[r].offset;
    V sum{};
    for (int64_t c = 0; c < nx; ++c) sum += xs[c].w * V::load(row + xs[c].offset);
    acc += ys[r].w * sum;
  }
  store_lanes(out, acc / divisor);
}

// average_bin over kN channel blocks staged `stride` elements apart, into out + j * out_stride,
// from one walk of the bin's cells: each block's sums in the same order as average_bin's (the
// same bits), kN independent chains of FMAs, and the cells' offsets, weights and loop exits read
// once for all blocks. A bin has few cells (W3, W4: 7.8), so the walk is a good part of its cost:
// in benchmarks/bin_loop.cc a block's bins two at a time took 0.68-0.77x the time of average_bin
// over each block in turn on W3's and W4's tables, about what the same loads take with no FMAs.
// The loops over blocks are unrolled so that the sums stay in registers (as arrays walked by a
// loop GCC kept them in memory: 1.8x slower in bin_loop.cc). Each block's plane has a base
// pointer of its own that the compiler cannot relate to the others (opaque_pointer), so a cell's
// load from every block is one instruction, base + offset: GCC otherwise rebuilt each block's
// address from the previous one's with a lea and an add per block and cell: 20 instructions a
// cell of four blocks in ymm pairs (Lanes), 10 with this and zmm registers (Line, where the CPU
// has AVX-512): W3 1.03-1.06x, W4 1.04-1.11x (AMD EPYC Zen 4, paired.py libs, both load orders;
// bit-identical). Either alone did not pay: Line 1.01x, the bases with Lanes 1.00-1.03x.
template <int kN, typename V, typename A>
ROI_OPS_ALWAYS_INLINE void average_bin_blocks(const A* plane, std::ptrdiff_t stride, const Cell<A>* ys, int64_t ny,
                                              const Cell<A>* xs, int64_t nx, A divisor, A* out,
                                              std::ptrdiff_t out_stride) {
  const A* base[kN];
#pragma GCC unroll 4
  for (int j = 0; j < kN; ++j) base[j] = opaque_pointer(plane + j * stride);
  V acc[kN] = {};
  for (int64_t r = 0; r < ny; ++r) {
    const int64_t row = ys[r].offset;
    V sum[kN] = {};
    for (int64_t c = 0; c < nx; ++c) {
      const A w = xs[c].w;
      const int64_t cell = row + xs[c].offset;
#pragma GCC unroll 4
      for (int j = 0; j < kN; ++j) sum[j] += w * V::load(base[j] + cell);
    }
#pragma GCC unroll 4
    for (int j = 0; j < kN; ++j) acc[j] += ys[r].w * sum[j];
  }
#pragma GCC unroll 4
  for (int j = 0; j < kN; ++j) store_lanes(out + j * out_stride, acc[j] / divisor);
}

// One max or onnx_max bin over one channel block (docs/spec.md, "RoIAlign"), from its taps.
template <typename V, int kMode, typename A>
ROI_OPS_ALWAYS_INLINE void max_bin(const A* plane, const Tap<A>* ys, int64_t ny, const Tap<A>* xs, int64_t nx,
                                   double grid_samples, A* out) {
  V acc = V::splat(-std::numeric_limits<A>::infinity());
  for_each_sample(plane, ys, ny, xs, nx,
                  [&](A w00, A w01, A w10, A w11, const A* p00, const A* p01, const A* p10, const A* p11)
                      ROI_OPS_LAMBDA_INLINE {
                        V v;
                        if constexpr (kMode == static_cast<int>(math::AlignMode::kMax)) {
                          v = w00 * V::load(p00) + w01 * V::load(p01) + w10 * V::load(p10) +
                              w11 * V::load(p11);
                        } else {
                          // ONNX Runtime's max: the largest weighted corner, not the interpolated value.
                          const V a = w00 * V::load(p00), b = w01 * V::load(p01);
                          const V c = w10 * V::load(p10), d = w11 * V::load(p11);
                          const V ab = select_greater(a, b, a, b), cd = select_greater(c, d, c, d);
                          v = select_greater(ab, cd, ab, cd);
                        }
                        acc = select_greater(v, acc, v, acc);
                      });
  // A bin without samples is 0, and samples outside the map count as 0 in the max.
  if (ny * nx == 0) acc = V{};
  if (static_cast<double>(ny * nx) < grid_samples) acc = select_greater(V{}, acc, V{}, acc);
  store_lanes(out, acc);
}

// Bin (ph, pw) of RoI k from the tables.
template <typename V, int kMode, typename A>
ROI_OPS_ALWAYS_INLINE void align_table_bin(const A* plane, const AlignTables<A>& t, int64_t k, int64_t ph,
                                           int64_t pw, int64_t out_h, int64_t out_w, A* out) {
  const Span y = t.y_bins[static_cast<std::size_t>(k * out_h + ph)];
  const Span x = t.x_bins[static_cast<std::size_t>(k * out_w + pw)];
  if constexpr (kMode == static_cast<int>(math::AlignMode::kAvg))
    average_bin<V>(plane, t.y_cells.data() + y.first, y.count, t.x_cells.data() + x.first, x.count, t.divisor[k],
                   out);
  else
    max_bin<V, kMode>(plane, t.y_taps.data() + y.first, y.count, t.x_taps.data() + x.first, x.count,
                      t.grid_samples[k], out);
}

}  // namespace roi_ops::cpu
