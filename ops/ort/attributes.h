// Reading attributes with uniform checks and messages. Each op's parameters are parsed once per
// kernel, in its constructor (op_params.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  // Empty when the attribute is absent.
  std::vector<float> get_floats(const char* name) const;
  bool has(const char* name) const;

  // Common checks with uniform messages.
  int64_t output_side(const char* name) const;  // in [1, kMaxOutputSide], default 1
  int64_t required_side(const char* name) const;  // as output_side, but must be present
  double spatial_scale() const;                  // finite and > 0, default 1
  int64_t sampling_ratio() const;                // in [0, kMaxSamplingRatio], default 0
  bool flag(const char* name, bool fallback) const;  // 0 or 1
  // One of `choices` (null-terminated list); returns its index.
  int choice(const char* name, const char* fallback, const char* const* choices) const;

 private:
  [[noreturn]] void wrong_type(const char* name, const char* expected) const;
  const char* op_;
  const OrtKernelInfo* info_;
};

}  // namespace roi_ops::ort
