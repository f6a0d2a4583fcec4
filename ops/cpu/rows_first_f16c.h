// float16 rows of the rows-first path (rows_first.h) reduced with F16C, widened inside the row
// loop so that the loads of all channels' half rows are in flight together. Widened a row at a
// time first (widened_rows), float16 W6 was no faster than float32 on the staged path (RoIAlign)
// and took 1.2x the float32 time (RoIPool). Ours to dispatch at run time: a target_clones
// function cannot hold these intrinsics in its default clone.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ROI_OPS_HAVE_F16C_ROWS 1

#include <cstdint>

#include "half.h"

namespace roi_ops::cpu {

// sums[j * width + x] = the sum over i < n of w[i] * rows[j * n + i][x], as weighted_rows in
// align_rows_first.cc (same order, fused multiply-adds), for channels j < count; width >= 8.
// Only where cpu_has_f16c_fma().
void weighted_half_rows_f16c(const Half* const* rows, const float* w, int64_t n, int64_t count, int64_t width,
                             float* sums);

// reduced[j * width + x] = the max over i < n of rows[j * n + i][x], as max_rows in roi_pool_cpu.cc
// (NaN never wins; -inf where every value is NaN); width >= 8. Only where cpu_has_f16c().
void max_half_rows_f16c(const Half* const* rows, int64_t n, int64_t count, int64_t width, float* reduced);

}  // namespace roi_ops::cpu

#endif
