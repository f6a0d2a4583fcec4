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

// The same for a call that writes `rois` RoIs of [channels, bins] elements of T.
template <typename T>
bool stream_output(std::size_t rois, int64_t channels, int64_t bins) {
  return stream_output(rois * static_cast<std::size_t>(channels * bins) * sizeof(T));
}

// Writes a RoI's result for one channel block, block[b * kB + j] (b < bins, j < count), to the
// output rows y[j * bins + b], converting to the storage type (roi_output.cc); with non-temporal
// stores if `streamed` (stream_output); those are not fenced (fence_stream).
void write_rows(const float* block, int64_t bins, int64_t count, float* y, bool streamed);
void write_rows(const double* block, int64_t bins, int64_t count, double* y, bool streamed);
void write_rows(const float* block, int64_t bins, int64_t count, Half* y, bool streamed);

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
