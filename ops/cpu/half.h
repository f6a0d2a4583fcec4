// The CPU's bulk binary16 conversions (F16C when the CPU has it); the storage type and the
// scalar conversions are device-neutral (math/half.h).
#pragma once

#include <cstddef>

#include "../math/half.h"

namespace roi_ops::cpu {

using math::Half;
using math::float_to_half;
using math::half_to_float;

// Bulk conversions; they use the F16C instructions when the CPU has them.
void halves_to_floats(const Half* src, float* dst, std::size_t n);
void floats_to_halves(const float* src, Half* dst, std::size_t n);

}  // namespace roi_ops::cpu
