// Attribute parsing: once per kernel, in its constructor, into the typed parameter structs of
// the kernels. Missing attributes take SPEC.md's defaults; present ones are range-checked.
#pragma once

#include <cstdint>
#include <string>

#include "../cpu/shapes.h"
#include "ort_api.h"

namespace roi_ops::ort {

// Output sides above this are refused: no RoI head uses them, and the bound keeps the window
// arithmetic of math/roi_pool.h exact in 64-bit integers.
constexpr int64_t kMaxOutputSide = 65536;
// A fixed sampling grid above this many samples per bin axis is refused: it multiplies the work
// of every bin (an adaptive grid instead is bounded by the map, see math/roi_align.h).
constexpr int64_t kMaxSamplingRatio = 1024;

class AttributeReader {
 public:
  AttributeReader(const char* op, const OrtKernelInfo* info) : op_(op), info_(info) {}

  int64_t get_int(const char* name, int64_t fallback) const;
  float get_float(const char* name, float fallback) const;
  std::string get_string(const char* name, const std::string& fallback) const;

  // Common checks with uniform messages.
  int64_t output_side(const char* name) const;  // in [1, kMaxOutputSide], default 1
  double spatial_scale() const;                  // finite and > 0, default 1
  int64_t sampling_ratio() const;                // in [0, kMaxSamplingRatio], default 0
  bool flag(const char* name, bool fallback) const;  // 0 or 1

 private:
  [[noreturn]] void wrong_type(const char* name, const char* expected) const;
  const char* op_;
  const OrtKernelInfo* info_;
};

cpu::AlignParams parse_roi_align(const OrtKernelInfo* info);
cpu::PoolParams parse_roi_pool(const OrtKernelInfo* info);

}  // namespace roi_ops::ort
