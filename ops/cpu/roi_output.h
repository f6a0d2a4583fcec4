// Plumbing shared by the channel-blocked RoI kernels: the compute type of each storage type,
// reading RoI values, and writing a RoI's [bins, block] result into the op's [C, bins] layout.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "half.h"

namespace roi_ops::cpu {

template <typename T>
struct ComputeOf {
  using type = T;
};
template <>
struct ComputeOf<Half> {
  using type = float;  // docs/spec.md: float16 accumulates in float32
};
template <typename T>
using compute_t = typename ComputeOf<T>::type;

using math::ReadAsDouble;
using math::to_double;

template <typename T>
T from_compute(compute_t<T> v) {
  return v;
}
template <>
inline Half from_compute<Half>(float v) {
  return float_to_half(v);
}

// Whether a call whose output takes `bytes` writes it with non-temporal stores (write_rows): a
// large output does not stay cached for its reader anyway, and ordinary stores read every line
// before they write it. On an AMD EPYC (Zen 3), 1 thread: W1 1.02-1.08x, W3 1.04-1.10x, W4
// 1.04-1.16x, C1 1.12-1.20x (2 threads 1.10-1.27x); on an AMD EPYC Zen 4 (AVX-512) W1 1.12x,
// W4 1.07-1.09x, C1 1.09-1.30x; on the Xeon of session 11, W1 1.00x.
bool stream_output(std::size_t bytes);

// Asks the OS to back the whole 2 MB pages inside [p, p + bytes) with transparent huge pages
// (Linux's madvise(MADV_HUGEPAGE); nothing elsewhere, or where THP is off), for an output the
// kernel streams: onnxruntime's allocator hands out 4 KB pages. A hint only, on memory the op
// writes in full; pages already in use stay as they are, so it takes hold where a buffer is first
// touched, as an arena's output buffer is in a session's first call and then reused. On an AMD
// EPYC Zen 4 (paired.py libs, both load orders, 1 thread): C1 1.15-1.19x, W4 1.07-1.12x, W3
// 1.06-1.07x, W1 1.04-1.05x, W2 1.04-1.05x, M1 1.03-1.05x, float16 W4 1.03-1.09x; 2 threads C1
// 1.09-1.15x. The first call that faults the huge pages in took 0.18-1.0 s on C1's 200 MB output
// instead of 0.15 s. numpy advises its arrays of 4 MB and more the same way (so the floor's copy
// in `roi-ops bench` already had huge pages).
void advise_huge_pages(void* p, std::size_t bytes);

// Whether a call that writes `rois` RoIs of [channels, bins] elements of T to y streams its
// output (stream_output); one that does is advised onto huge pages first (advise_huge_pages).
template <typename T>
bool stream_output(T* y, std::size_t rois, int64_t channels, int64_t bins) {
  const std::size_t bytes = rois * static_cast<std::size_t>(channels * bins) * sizeof(T);
  if (!stream_output(bytes)) return false;
  advise_huge_pages(y, bytes);
  return true;
}

// Writes a RoI's result for one channel block, block[b * kB + j] (b < bins, j < count), to the
// output rows y[j * bins + b], converting to the storage type (roi_output.cc), through `tile`
// (count * bins elements of scratch: TaskBuffers' tile); with non-temporal stores if `streamed`
// (stream_output); those are not fenced (fence_stream).
void write_rows(const float* block, int64_t bins, int64_t count, float* tile, float* y, bool streamed);
void write_rows(const double* block, int64_t bins, int64_t count, double* tile, double* y, bool streamed);
void write_rows(const float* block, int64_t bins, int64_t count, float* tile, Half* y, bool streamed);

// A store fence: a task that wrote rows with streamed write_rows calls it once before it ends, so
// that its non-temporal stores are in memory before another thread (or the op's caller) reads
// them. Once per task, not per RoI: a fence waits for every pending line to reach memory, and
// per RoI it kept the output stream from draining while the next RoI computed (once per task on
// a Zen 4: C1 1.23x / 1.10x, W1 1.03x / 1.02x, W3 1.03x / 1.03x, paired, both load orders).
void fence_stream();

template <typename T>
void fill_nan(T* y, int64_t count) {
  std::fill(y, y + count, std::numeric_limits<T>::quiet_NaN());
}

inline void fill_nan(Half* y, int64_t count) { std::fill(y, y + count, Half{0x7e00}); }

}  // namespace roi_ops::cpu
