#include "roi_output.h"

#include <cstring>
#include <vector>

#include "channel_blocks.h"
#include "isa.h"
#include "lanes.h"

namespace roi_ops::cpu {
namespace {

// block is [bins, kB] and y is [count, bins]: kB bins at a time are one square of vectors,
// transposed in registers (lanes.h) and stored as row pieces; the remaining bins one by one.
// As a plain scalar loop this transposition took a third of W3's time.
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void transpose_rows(const A* block, int64_t bins, int64_t count, A* y) {
  constexpr int kB = block_channels<A>();
  int64_t b = 0;
  for (; b + kB <= bins; b += kB) {
    V r[kB];
    for (int i = 0; i < kB; ++i) r[i] = V::load(block + (b + i) * kB);
    transpose_lanes(r);
    for (int64_t j = 0; j < count; ++j) store_lanes(y + j * bins + b, r[j]);
  }
  for (; b < bins; ++b)
    for (int64_t j = 0; j < count; ++j) y[j * bins + b] = block[b * kB + j];
}

}  // namespace

// The rows are transposed into a thread-local tile and then copied out in one sequential run
// (they are contiguous in y): stored straight into y, kB rows at a time, C1's 200 MB output
// was 1.15x slower than with scalar stores.
template <typename A>
ROI_OPS_ALWAYS_INLINE A* tile_rows(const A* block, int64_t bins, int64_t count) {
  thread_local std::vector<A> tile;
  tile.resize(static_cast<std::size_t>(count * bins));
  if (wide_lanes())
    transpose_rows<Lanes<A>>(block, bins, count, tile.data());
  else
    transpose_rows<Quarters<A>>(block, bins, count, tile.data());
  return tile.data();
}

ROI_OPS_ISA_CLONES void write_rows(const float* block, int64_t bins, int64_t count, float* y) {
  std::memcpy(y, tile_rows(block, bins, count), static_cast<std::size_t>(count * bins) * sizeof(float));
}

ROI_OPS_ISA_CLONES void write_rows(const double* block, int64_t bins, int64_t count, double* y) {
  std::memcpy(y, tile_rows(block, bins, count), static_cast<std::size_t>(count * bins) * sizeof(double));
}

ROI_OPS_ISA_CLONES void write_rows(const float* block, int64_t bins, int64_t count, Half* y) {
  floats_to_halves(tile_rows(block, bins, count), y, static_cast<std::size_t>(count * bins));
}

}  // namespace roi_ops::cpu
