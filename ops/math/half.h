// IEEE binary16 storage shared by every device: the bit pattern and exact scalar conversions.
// float16 tensors are widened to float32 for all arithmetic (docs/spec.md: float16 accumulates in
// float32) and narrowed once when the output is written. The CPU's bulk conversions (F16C) are in
// cpu/half.h; CUDA's storage type maps onto this one (cuda/storage.cuh).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace roi_ops::math {

// Bit pattern of a binary16 value; layout-compatible with onnxruntime's Ort::Float16_t.
struct Half {
  uint16_t bits;
};

// Exact widening of one value (every binary16 value is a float32 value).
inline float half_to_float(Half h) {
  const uint32_t sign = static_cast<uint32_t>(h.bits & 0x8000u) << 16;
  const uint32_t exp = (h.bits >> 10) & 0x1fu;
  const uint32_t man = h.bits & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {
    // Subnormal: value = man * 2^-24; normalise it.
    int shift = 0;
    uint32_t m = man;
    while ((m & 0x400u) == 0) {
      m <<= 1;
      ++shift;
    }
    bits = sign | (static_cast<uint32_t>(113 - shift) << 23) | ((m & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Round-to-nearest-even narrowing, with overflow to infinity and NaN kept NaN.
inline Half float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or nan
    return {static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u))};
  }
  if (abs >= 0x477ff000u) return {static_cast<uint16_t>(sign | 0x7c00u)};  // rounds past 65504
  if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    if (abs < 0x33000000u) return {sign};  // below half of the smallest subnormal
    const uint32_t e = abs >> 23;
    const uint32_t m = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
    return {static_cast<uint16_t>(sign | r)};
  }
  uint32_t r = ((abs >> 13) - (112u << 10));
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return {static_cast<uint16_t>(sign | r)};
}

// A stored RoI value read as double (the geometry's type on every device).
inline double to_double(float v) { return v; }
inline double to_double(double v) { return v; }
inline double to_double(Half v) { return half_to_float(v); }

template <typename T>
struct ReadAsDouble {
  double operator()(T v) const { return to_double(v); }
};

}  // namespace roi_ops::math
