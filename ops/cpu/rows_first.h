// The rows-first order for a few RoIs on a large map, shared by RoIAlign (avg) and RoIPool.
//
// The staged path (roi_driver.h) copies every map row a RoI reads into a [H, W, 16] channel block
// (a 16x16 transposition per 16 cells) before its bins read them. With a few RoIs on a large map
// that staging is most of the call (W6: ~70% for RoIAlign and RoIPool). Both ops reduce a bin
// row's map rows the same way for every bin of that row (a weighted sum, or a max), so here each
// bin row's map rows are first reduced into one row straight from the NCHW map (contiguous vector
// loads, the loads of a block's 16 channels in flight together), and only that row, of the RoI's
// width, is transposed into channel vectors for the bins' reductions along x. A bin row reads a
// few map rows, so this transposes a fraction of what staging does, and each bin reads its
// columns once.
//
// A call takes one path or the other for all its RoIs, whatever the thread count, so outputs stay
// identical across thread counts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "align_bins.h"
#include "channel_blocks.h"
#include "half.h"
#include "isa.h"
#include "lanes.h"
#include "parallel.h"
#include "roi_output.h"
#include "shapes.h"

namespace roi_ops::cpu {

// A RoI in the terms of this path: the map rows of each bin row (with their weights, for the
// weighted sum), and each bin's columns as offsets into the transposed row ([width, kB], column
// x0 first; with their weights).
template <typename A>
struct RowsFirstRoi {
  int64_t x0 = 0, width = 0;     // width 0: nothing to read, every bin is 0
  std::vector<int64_t> y_row;    // map rows, bin row ph's at y_bins[ph]
  std::vector<A> y_w;
  std::vector<Span> y_bins;      // into y_row / y_w
  std::vector<Cell<A>> x_cells;  // offsets (column - x0) * kB
  std::vector<Span> x_bins;
  A divisor = 1;
};

// A reduction's vector loop over a row of `width` >= kLanes values: columns(x) for each full
// vector, and a ragged end as one more vector ending at the last column (it recomputes a few
// values, to the same results).
template <int64_t kLanes, typename Columns>
ROI_OPS_ALWAYS_INLINE void over_row(int64_t width, Columns columns) {
  int64_t x = 0;
  for (; x + kLanes <= width; x += kLanes) columns(x);
  if (x < width) columns(width - kLanes);
}

// A block's reduced bin row from column(j, x), channel j's reduction at columns [x, x + kB) as a
// vector (width >= kB). A whole block of channels is written transposed ([width, kB]) at once,
// each kB columns transposed in registers as they are made, so that the shuffles overlap the row
// loads (a separate transposing pass took 9% of W6 RoIAlign; fused, W6 1.07-1.12x). A partial
// block goes to reduced ([count, width]) for stage_channel_block. Returns whether it wrote
// transposed. The ragged end is one more vector ending at the last column, as in over_row.
template <typename V, typename A, typename Column>
ROI_OPS_ALWAYS_INLINE bool reduce_block(int64_t count, int64_t width, Column column, A* reduced, A* transposed) {
  constexpr int64_t kB = block_channels<A>();
  if (count < kB) {
    over_row<kB>(width, [&](int64_t x) ROI_OPS_LAMBDA_INLINE {
      for (int64_t j = 0; j < count; ++j) store_lanes(reduced + j * width + x, column(j, x));
    });
    return false;
  }
  over_row<kB>(width, [&](int64_t x) ROI_OPS_LAMBDA_INLINE {
    V v[kB];
    for (int64_t j = 0; j < kB; ++j) v[j] = column(j, x);
    transpose_lanes(v);
    for (int64_t j = 0; j < kB; ++j) store_lanes(transposed + (x + j) * kB, v[j]);
  });
  return true;
}

// The rows of one bin row widened to float (float16 maps): rows[i] has `width` values.
inline const float* const* widened_rows(const Half* const* rows, std::size_t n, int64_t width) {
  thread_local std::vector<float> values;
  thread_local std::vector<const float*> out;
  values.resize(n * static_cast<std::size_t>(width));
  out.resize(n);
  for (std::size_t e = 0; e < n; ++e) {
    float* dst = values.data() + e * static_cast<std::size_t>(width);
    halves_to_floats(rows[e], dst, static_cast<std::size_t>(width));
    out[e] = dst;
  }
  return out.data();
}

// Asks for the map rows of bin row `next` ([x0, x0 + width) of channels c0 .. c0 + count of
// `planes`) while the bin row before it is reduced. A block's bin row reads a few short rows of 16
// channels at once (W6: 2-4 rows for RoIAlign, up to 7 for RoIPool, of up to 127 cells), too many
// streams for the hardware prefetcher to follow, so without this every line was a demand miss:
// RoIPool W6 1.55-1.65x, RoIAlign W6 1.18-1.32x faster (MultiScaleRoIAlign W6 0.98x: its coarse
// levels' rows are in cache already). Two bin rows ahead gained nothing more (0.98-1.02x).
template <typename T, typename A>
ROI_OPS_ALWAYS_INLINE void prefetch_rows(const T* planes, const MapShape& s, const RowsFirstRoi<A>& r, Span next,
                                         int64_t count) {
  const int64_t hw = s.h * s.w;
  for (int64_t j = 0; j < count; ++j)
    for (int64_t q = next.first; q < next.first + next.count; ++q)
      prefetch_run(planes + j * hw + r.y_row[static_cast<std::size_t>(q)] * s.w + r.x0,
                   static_cast<std::size_t>(r.width) * sizeof(T));
}

// Writes Y[k] for each RoI k = rois[i] (plan[i]) of image batch[k]. One task is one channel block
// of one RoI. For each bin row, reduce_rows(rows, w, n, count, width, reduced, transposed) gets the
// bin row's n map rows of each of the block's `count` channels (channel j's at rows[j * n], each
// starting at column x0) and their weights w, and writes either the reduced row as channel vectors
// into transposed[x * kB + j] and returns true, or reduced[j * width + x] and returns false (this
// then transposes it); bin_row(transposed, plan, block_row) then fills the bin row's [out_w, kB]
// results from the transposed row, every bin of it. Bin rows without map rows are 0.
template <typename T, typename ReduceRows, typename BinRow>
void rows_first(const T* x, const MapShape& s, const std::vector<int64_t>& rois,
                const std::vector<RowsFirstRoi<compute_t<T>>>& plan, const std::vector<int64_t>& batch, int64_t out_h,
                int64_t out_w, T* y, const ParallelFor& parallel_for, ReduceRows reduce_rows, BinRow bin_row) {
  using A = compute_t<T>;
  constexpr int64_t kB = block_channels<A>();
  const int64_t bins = out_h * out_w, hw = s.h * s.w;
  const int64_t blocks = (s.c + kB - 1) / kB;
  const bool streamed = stream_output(y, batch.size(), s.c, bins);
  parallel_for(static_cast<std::size_t>(blocks) * rois.size(), [&](std::size_t task) {
    const std::size_t i = task % rois.size();
    const int64_t k = rois[i], c0 = static_cast<int64_t>(task / rois.size()) * kB;
    const int64_t count = std::min(kB, s.c - c0);
    const RowsFirstRoi<A>& r = plan[i];
    thread_local LineBuffer<A> reduced_buffer, transposed_buffer;
    thread_local std::vector<const T*> rows;
    // Not zeroed: bin_row writes every bin of a row it is given.
    const TaskBuffers<A> buffers =
        thread_task_buffers<A>(0, static_cast<std::size_t>(bins * kB), static_cast<std::size_t>(bins * kB));
    A* const block = buffers.block;
    if (r.width == 0) {
      std::fill_n(block, bins * kB, A(0));
    } else {
      A* const reduced = reduced_buffer.get(static_cast<std::size_t>(kB * r.width));
      A* const transposed = transposed_buffer.get(static_cast<std::size_t>(r.width * kB));
      const T* planes = x + (batch[static_cast<std::size_t>(k)] * s.c + c0) * hw;
      const MapShape reduced_shape{1, kB, 1, r.width};
      for (int64_t ph = 0; ph < out_h; ++ph) {
        const Span yb = r.y_bins[static_cast<std::size_t>(ph)];
        if (yb.count == 0) {  // no map row: the bins are 0
          std::fill_n(block + ph * out_w * kB, out_w * kB, A(0));
          continue;
        }
        rows.resize(static_cast<std::size_t>(count * yb.count));
        for (int64_t j = 0; j < count; ++j)
          for (int64_t q = 0; q < yb.count; ++q)
            rows[static_cast<std::size_t>(j * yb.count + q)] =
                planes + j * hw + r.y_row[static_cast<std::size_t>(yb.first + q)] * s.w + r.x0;
        if (ph + 1 < out_h) prefetch_rows(planes, s, r, r.y_bins[static_cast<std::size_t>(ph + 1)], count);
        if (!reduce_rows(rows.data(), r.y_w.data() + yb.first, yb.count, count, r.width, reduced, transposed)) {
          // The `count` channels' reduced rows, [count, width], as channel vectors per column.
          stage_channel_block(reduced, reduced_shape, 0, 0, 1, count, Window::whole(reduced_shape), transposed);
        }
        bin_row(transposed, r, block + ph * out_w * kB);
      }
    }
    write_rows(block, bins, count, buffers.tile, y + (k * s.c + c0) * bins, streamed);
    if (streamed) fence_stream();
  });
}

}  // namespace roi_ops::cpu
