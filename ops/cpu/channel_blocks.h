// Channel-blocked staging of a feature map for the CPU kernels.
//
// The kernels walk the map one block of kBlockBytes worth of channels at a time: the block's
// planes are copied (widened to the compute type) into [H, W, block] order, so every bilinear
// tap or window element is one contiguous, aligned vector of channels. A block plane is small
// enough to stay in cache while every RoI of its image is processed, so the map is read from
// memory once per call however many RoIs overlap.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "half.h"
#include "isa.h"
#include "shapes.h"

namespace roi_ops::cpu {

constexpr int kBlockBytes = 64;  // one cache line, one AVX-512 register

template <typename A>
constexpr int block_channels() {
  return kBlockBytes / static_cast<int>(sizeof(A));
}

// The map cells [y0, y1) x [x0, x1) that a RoI's samples read (empty when y0 >= y1 or x0 >= x1).
struct Window {
  int64_t y0 = 0, y1 = 0, x0 = 0, x1 = 0;

  int64_t area() const { return y1 > y0 && x1 > x0 ? (y1 - y0) * (x1 - x0) : 0; }
  static Window whole(const MapShape& s) { return {0, s.h, 0, s.w}; }
  // The cells that bilinear samples at real points y in [y_lo, y_hi], x in [x_lo, x_hi] can read
  // (docs/spec.md, "Bilinear sample": points in [-1, 0) read cell 0, points past size - 1 the last
  // cell, points outside [-1, size] nothing). Clamped before any integer conversion.
  static Window covering(double y_lo, double y_hi, double x_lo, double x_hi, const MapShape& s) {
    const auto [a, b] = cells(y_lo, y_hi, s.h);
    const auto [c, d] = cells(x_lo, x_hi, s.w);
    return {a, b, c, d};
  }

 private:
  static std::pair<int64_t, int64_t> cells(double lo, double hi, int64_t size) {
    if (size <= 0 || !(hi >= -1.0 && lo <= static_cast<double>(size))) return {0, 0};
    const double last = static_cast<double>(size - 1);
    const auto first = static_cast<int64_t>(std::floor(std::clamp(lo, 0.0, last)));
    const auto end = static_cast<int64_t>(std::floor(std::clamp(hi, 0.0, last))) + 2;
    return {first, std::min(end, size)};
  }
};

// What each RoI reads, for RoIs whose samples skip most of their window (a large RoI with a few
// samples per bin): RoI k reads entries[first[k], first[k + 1]), sorted and distinct: rows of its
// window, or with `runs` the first cells h * W + w of runs of cells (cell_runs; a rotated RoI's
// samples touch most rows of its window but few of its cells). Empty: every RoI reads its whole
// window.
struct ReadLists {
  std::vector<int64_t> entries, first;
  bool runs = false;

  bool empty() const { return first.empty(); }
  int64_t count(std::size_t k) const { return first[k + 1] - first[k]; }
  // Appends the next RoI's entries (any order, repeats allowed; `e` is left sorted).
  void add(std::vector<int64_t>& e) {
    if (first.empty()) first.push_back(0);
    if (!std::is_sorted(e.begin(), e.end())) std::sort(e.begin(), e.end());
    e.erase(std::unique(e.begin(), e.end()), e.end());
    entries.insert(entries.end(), e.begin(), e.end());
    first.push_back(static_cast<int64_t>(entries.size()));
  }
};

// Asks for the lines of `bytes` bytes from `p` to come into L2 (prefetcht1) before they are read:
// for the kernels' reads of many short runs in many planes at once, a pattern the hardware
// prefetcher does not follow. Always inlined: as a function of its own, GCC found it free of side
// effects and dropped the calls (the object code had no prefetch left in the rows-first kernels).
ROI_OPS_ALWAYS_INLINE void prefetch_run(const void* p, std::size_t bytes) {
  constexpr std::uintptr_t kLine = kBlockBytes;
  const std::uintptr_t first = reinterpret_cast<std::uintptr_t>(p) & ~(kLine - 1);
  const std::uintptr_t lines = (reinterpret_cast<std::uintptr_t>(p) + bytes - first + kLine - 1) / kLine;
  for (std::uintptr_t i = 0; i < lines; ++i)
    __builtin_prefetch(reinterpret_cast<const char*>(first + i * kLine), 0, 2);
}

// dst[h][w][j] = src[n][c0 + j * stride][h][w] for j < count, 0 for count <= j < block_channels<A>(),
// for the cells of `win` only: dst keeps the [H, W, block] layout of the whole map, so offsets
// into it do not depend on the window. A stride other than 1 gathers the input channels of one
// bin of the position-sensitive ops.
void stage_channel_block(const float* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         const Window& win, float* dst);
void stage_channel_block(const double* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         const Window& win, double* dst);
void stage_channel_block(const Half* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         const Window& win, float* dst);

// The runs of `length` cells that cover `cells` (sorted, distinct cells h * W + w of a plane of
// `plane_cells`), by their first cells, into `runs`: each run starts at the next cell not yet
// covered (moved back to end inside the plane; at 0 if the plane is shorter than a run). A
// rotated RoI's samples read cells in runs of two or more, so one run's transposition
// (stage_channel_runs) stands for several one-cell gathers. Worked out once per call: found
// again for every channel block, in the staging loop, they cost W6 RoIAlignRotated 1.09x (both
// load orders on a Zen 4; the loop's branch on each listed cell sat between the runs' loads).
inline void cell_runs(const std::vector<int64_t>& cells, int64_t plane_cells, int64_t length,
                      std::vector<int64_t>& runs) {
  runs.clear();
  int64_t end = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0 && cells[i] < end) continue;
    const int64_t first = std::max<int64_t>(0, std::min(cells[i], plane_cells - length));
    runs.push_back(first);
    end = first + length;
  }
}

// As stage_channel_block with stride 1, for the cells of the listed runs only: run r is cells
// [runs[r], runs[r] + kB) of the plane (h * W + w), kB = block_channels of the compute type,
// clipped to the plane (cell_runs with length kB). Cells of a run that nothing reads are staged
// too, with their true values (the plane is scratch).
void stage_channel_runs(const float* src, const MapShape& s, int64_t n, int64_t c0, int64_t count,
                        const int64_t* runs, int64_t nruns, float* dst);
void stage_channel_runs(const double* src, const MapShape& s, int64_t n, int64_t c0, int64_t count,
                        const int64_t* runs, int64_t nruns, double* dst);
void stage_channel_runs(const Half* src, const MapShape& s, int64_t n, int64_t c0, int64_t count,
                        const int64_t* runs, int64_t nruns, float* dst);

// A growable scratch buffer whose data starts on a 64-byte boundary, so that each kB-channel cell
// of a block laid out in it is one cache line. A vector's data began 16 bytes past one, and
// every cell the kernels read from the staged plane spanned two lines (aligned, in the two load
// orders of paired.py libs: W1 1.11x and 1.07x faster, R1 1.10x and 1.01x; W3 1.04x; C1 and W4
// within noise). The rows-first path's transposed rows and result blocks likewise: W6
// MultiScaleRoIAlign 1.04x and 1.03x.
template <typename A>
class LineBuffer {
 public:
  // At least `elements` values (kept between calls; contents unspecified).
  A* get(std::size_t elements) {
    constexpr std::size_t kLine = kBlockBytes;
    if (values_.size() < elements + kLine / sizeof(A)) values_.resize(elements + kLine / sizeof(A));
    const auto at = reinterpret_cast<std::uintptr_t>(values_.data());
    return values_.data() + (kLine - at % kLine) % kLine / sizeof(A);
  }

 private:
  std::vector<A> values_;
};

// The elements of one staged block plane of a map of shape `s`: [H, W, block_channels<A>()].
template <typename A>
std::size_t block_plane_elements(const MapShape& s) {
  return static_cast<std::size_t>(s.h * s.w * block_channels<A>());
}

// One thread's working memory for a block task: staged planes, a RoI's results [bins, kB] per
// block, and the tile write_rows transposes them into (roi_output.h).
template <typename A>
struct TaskBuffers {
  A* planes;
  A* block;
  A* tile;
};

// TaskBuffers of at least the given elements each, in one allocation kept between calls (so a run
// touches no fresh pages; it grows to the largest task the thread has run), at fixed offsets from
// page boundaries: the planes and the block each from a page boundary, the tile 384 bytes past
// one. Where the block and the tile lie modulo 4 KB decides whether the transposition's loads
// from the block wait on its stores to the tile (4K aliasing). Left to the heap, the same build
// ran W3 17.6-20.8 ms by process on an AMD EPYC Zen 4 (the library's path and the environment's
// size move the heap and the stack); at these offsets, with the transposition off the stack
// (roi_output.cc), 15.9-16.9 ms. In a sweep there, a tile 0-768 bytes past a page ran alike,
// 1-3.75 KB past it 1.2-1.5x slower, and a block 768-3328 bytes into its page 1.1-1.5x slower
// (benchmarks/amd-epyc-zen4/RESULTS.md, session 29).
template <typename A>
TaskBuffers<A> thread_task_buffers(std::size_t planes, std::size_t block, std::size_t tile) {
  constexpr std::size_t kPage = 4096, kTileOffset = 384;
  const auto pages = [](std::size_t elements) { return (elements * sizeof(A) + kPage - 1) / kPage * kPage; };
  const std::size_t at_block = pages(planes), at_tile = at_block + pages(block) + kTileOffset;
  thread_local std::vector<unsigned char> memory;
  const std::size_t bytes = kPage + at_tile + tile * sizeof(A);
  if (memory.size() < bytes) memory.resize(bytes);
  const auto at = reinterpret_cast<std::uintptr_t>(memory.data());
  unsigned char* base = memory.data() + (kPage - at % kPage) % kPage;
  return {reinterpret_cast<A*>(base), reinterpret_cast<A*>(base + at_block), reinterpret_cast<A*>(base + at_tile)};
}

}  // namespace roi_ops::cpu
