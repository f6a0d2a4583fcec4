// float16 channel blocks staged with F16C: widened inside the 16-channel interleave, the loads of
// all 16 channel planes in flight together, as float32's staging reads them. Converted a run at a
// time into a float buffer first (channel_blocks.cc), each channel's half run is read on its own.
// Ours to dispatch at run time: a target_clones function cannot hold these intrinsics in its
// default clone.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ROI_OPS_HAVE_F16C_STAGING 1

#include <cstdint>

#include "half.h"

namespace roi_ops::cpu {

// out[i * 16 + j] = in[j][i] widened, for i < run and j < 16; run >= 8. Only where
// cpu_has_f16c().
void interleave_halves_f16c(const Half* const* in, int64_t run, float* out);

}  // namespace roi_ops::cpu

#endif
