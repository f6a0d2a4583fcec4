// CUDA emulation: __half over the binary16 conversions of ops/math/half.h, which
// round to nearest even as __float2half_rn does.
#pragma once

#include "../../../ops/math/half.h"
#include "cuda_runtime.h"

struct __half {
  roi_ops::math::Half h;
};

inline float __half2float(__half v) { return roi_ops::math::half_to_float(v.h); }
inline __half __float2half_rn(float f) { return __half{roi_ops::math::float_to_half(f)}; }
