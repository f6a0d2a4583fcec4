// CUDA emulation: __half over the CPU kernels' binary16 conversions (ops/cpu/half.h), which
// round to nearest even as __float2half_rn does.
#pragma once

#include "../../../ops/cpu/half.h"
#include "cuda_runtime.h"

struct __half {
  roi_ops::cpu::Half h;
};

inline float __half2float(__half v) { return roi_ops::cpu::half_to_float(v.h); }
inline __half __float2half_rn(float f) { return __half{roi_ops::cpu::float_to_half(f)}; }
