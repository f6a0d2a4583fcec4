// Plumbing shared by the channel-blocked RoI kernels: the compute type of each storage type,
// reading RoI values, and writing a RoI's [bins, block] result into the op's [C, bins] layout.
#pragma once

#include <algorithm>
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

// Writes a RoI's result for one channel block, block[b * kB + j] (b < bins, j < count), to the
// output rows y[j * bins + b], converting to the storage type.
template <typename A>
void write_rows(const A* block, int kB, int64_t bins, int64_t count, A* y) {
  for (int64_t j = 0; j < count; ++j)
    for (int64_t b = 0; b < bins; ++b) y[j * bins + b] = block[b * kB + j];
}

inline void write_rows(const float* block, int kB, int64_t bins, int64_t count, Half* y) {
  thread_local std::vector<float> row;
  row.resize(static_cast<std::size_t>(bins));
  for (int64_t j = 0; j < count; ++j) {
    for (int64_t b = 0; b < bins; ++b) row[b] = block[b * kB + j];
    floats_to_halves(row.data(), y + j * bins, row.size());
  }
}

template <typename T>
void fill_nan(T* y, int64_t count) {
  std::fill(y, y + count, std::numeric_limits<T>::quiet_NaN());
}

inline void fill_nan(Half* y, int64_t count) { std::fill(y, y + count, Half{0x7e00}); }

}  // namespace roi_ops::cpu
