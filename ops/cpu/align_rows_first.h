// Average-mode RoIAlign for a few RoIs on a large map, rows first.
//
// The staged path (roi_driver.h) copies every row a RoI reads into a [H, W, 16] channel block
// (a 16x16 transposition per 16 cells) and then sums each bin's cells. With a few RoIs on a large
// map that staging is most of the call (W6, three 14x14 RoIs on a [1,256,200,272] map: ~70%).
// A bin's average is separable, so here each bin row is first summed over its sample rows
// straight from the NCHW map (contiguous vector loads, one channel at a time), and only those
// sums, one row of the RoI's width per bin row, are transposed into channel vectors for the
// bins' column sums. A RoI reads about four map rows per bin row (two samples, two taps each),
// so this transposes about a quarter of what staging does, and a bin reads its columns once
// instead of once per row.
//
// The weights are the staged path's (AlignTables' cells), summed in the other order, so results
// agree with it to rounding; a call takes one path or the other for all its RoIs, whatever the
// thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "align_bins.h"
#include "parallel.h"
#include "roi_output.h"
#include "shapes.h"

namespace roi_ops::cpu {

// Writes Y[k] for every RoI with batch[k] >= 0 from tables built with cells (mode avg).
template <typename T>
void align_rows_first(const T* x, const MapShape& shape, const AlignTables<compute_t<T>>& tables,
                      const std::vector<int64_t>& batch, int64_t out_h, int64_t out_w, T* y,
                      const ParallelFor& parallel_for);

}  // namespace roi_ops::cpu
