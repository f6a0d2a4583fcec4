// The CPU's bulk binary16 conversions (F16C when the CPU has it); the storage type and the
// scalar conversions are device-neutral (math/half.h).
#pragma once

#include <cstddef>

#include "../math/half.h"

namespace roi_ops::cpu {

using math::Half;
using math::float_to_half;
using math::half_to_float;

// Whether the CPU has the instructions of the hand-written F16C code here (AVX, F16C), in
// stage_f16c.cc and in rows_first_f16c.cc (RoIAlign's row sums also need AVX2 and FMA); checked
// once.
bool cpu_has_f16c();
bool cpu_has_f16c_fma();

// Bulk conversions; they use the F16C instructions when the CPU has them.
void halves_to_floats(const Half* src, float* dst, std::size_t n);
void floats_to_halves(const float* src, Half* dst, std::size_t n);
// With non-temporal stores, not fenced (roi_output.h, fence_stream); ordinary stores without F16C.
void floats_to_halves_streamed(const float* src, Half* dst, std::size_t n);

}  // namespace roi_ops::cpu
