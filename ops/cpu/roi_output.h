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
// output rows y[j * bins + b], converting to the storage type (roi_output.cc).
void write_rows(const float* block, int64_t bins, int64_t count, float* y);
void write_rows(const double* block, int64_t bins, int64_t count, double* y);
void write_rows(const float* block, int64_t bins, int64_t count, Half* y);

template <typename T>
void fill_nan(T* y, int64_t count) {
  std::fill(y, y + count, std::numeric_limits<T>::quiet_NaN());
}

inline void fill_nan(Half* y, int64_t count) { std::fill(y, y + count, Half{0x7e00}); }

}  // namespace roi_ops::cpu
