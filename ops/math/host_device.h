// Marks the shared math so one definition compiles for the host and for CUDA (STYLE.md, principle 2).
#pragma once

#if defined(__CUDACC__)
#define ROI_OPS_HD __host__ __device__ __forceinline__
#else
#define ROI_OPS_HD inline
#endif

#include <cmath>

namespace roi_ops::math {
// Unqualified calls in the shared math resolve to these on the host and to CUDA's device
// overloads under nvcc.
using std::ceil;
using std::cos;
using std::floor;
using std::isfinite;
using std::log2;
using std::round;
using std::sin;
using std::sqrt;
}  // namespace roi_ops::math
