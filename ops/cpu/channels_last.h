// Channels-last staging of a feature map for the CPU kernels.
//
// In NCHW every bilinear tap of a RoI touches a separate cache line per channel and the
// per-channel loops are short and scalar. Copied once to [N, H, W, C] (widened to the compute
// type), the C values of one tap are contiguous, so each tap becomes a few full-width vector
// FMAs over channels. The copy costs one read and one write of the map; the RoI workloads of
// benchmarks/ touch every pixel many times over, which is where the kernels gain.
#pragma once

#include <cstdint>

#include "half.h"
#include "parallel.h"
#include "shapes.h"

namespace roi_ops::cpu {

// dst[n][h][w][c] = src[n][c][h][w], for float, double, and half -> float.
void to_channels_last(const float* src, const MapShape& s, float* dst, const ParallelFor& pf);
void to_channels_last(const double* src, const MapShape& s, double* dst, const ParallelFor& pf);
void to_channels_last(const Half* src, const MapShape& s, float* dst, const ParallelFor& pf);

}  // namespace roi_ops::cpu
