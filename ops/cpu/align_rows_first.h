// Average-mode RoIAlign for a few RoIs on a large map, rows first (rows_first.h): each bin row's
// sample rows summed with their weights straight from the NCHW map, then each bin's weighted
// columns of that sum. W6 (three 14x14 RoIs on a [1,256,200,272] map): 1.27x the staged path.
//
// The weights are the staged path's (AlignTables' cells), summed in the other order, so results
// agree with it to rounding.
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
