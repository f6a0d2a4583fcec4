// CPU kernels of the RoI ops. Plain functions over typed pointers: they know nothing of
// onnxruntime, so a test binary or benchmark can call them directly. Inputs must already be
// validated (ort/validation.h); the output must have room for [K, C, output_height, output_width].
#pragma once

#include "half.h"
#include "parallel.h"
#include "shapes.h"

namespace roi_ops::cpu {

// T is float, double or Half.
template <typename T>
void roi_align(const T* x, const MapShape& shape, const RoiSet<T>& rois, const AlignParams& params, T* y,
               const ParallelFor& parallel_for);

template <typename T>
void roi_pool(const T* x, const MapShape& shape, const RoiSet<T>& rois, const PoolParams& params, T* y,
              const ParallelFor& parallel_for);

}  // namespace roi_ops::cpu
