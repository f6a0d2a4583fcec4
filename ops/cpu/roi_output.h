// Plumbing shared by the channels-last RoI kernels: the compute type of each storage type, and
// the per-RoI output block written back from [bins, C] to the op's [C, bins] layout.
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
  using type = float;  // SPEC.md: float16 accumulates in float32
};
template <typename T>
using compute_t = typename ComputeOf<T>::type;

inline double to_double(float v) { return v; }
inline double to_double(double v) { return v; }
inline double to_double(Half v) { return half_to_float(v); }

template <typename T>
struct ReadAsDouble {
  double operator()(T v) const { return to_double(v); }
};

// Writes block[b * C + c] to y[c * bins + b], converting to the storage type.
template <typename A>
void write_block(const A* block, int64_t channels, int64_t bins, A* y, std::vector<float>&) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t b = 0; b < bins; ++b) y[c * bins + b] = block[b * channels + c];
}

inline void write_block(const float* block, int64_t channels, int64_t bins, Half* y, std::vector<float>& tmp) {
  tmp.resize(static_cast<std::size_t>(channels * bins));
  write_block(block, channels, bins, tmp.data(), tmp);
  floats_to_halves(tmp.data(), y, tmp.size());
}

template <typename T>
void fill_nan(T* y, int64_t count) {
  std::fill(y, y + count, std::numeric_limits<T>::quiet_NaN());
}

inline void fill_nan(Half* y, int64_t count) { std::fill(y, y + count, Half{0x7e00}); }

}  // namespace roi_ops::cpu
