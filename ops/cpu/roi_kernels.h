// CPU kernels of the RoI ops. Plain functions over typed pointers: they know nothing of
// onnxruntime, so a test binary or benchmark can call them directly. Inputs must already be
// validated (ort/validation.h); the output must have room for [K, C_out, out_h, out_w].
// T is float, double or Half.
#pragma once

#include <cstdint>
#include <vector>

#include "half.h"
#include "parallel.h"
#include "shapes.h"

namespace roi_ops::cpu {

template <typename T>
void roi_align(const T* x, const MapShape& shape, const RoiSet<T>& rois, const AlignParams& params, T* y,
               const ParallelFor& parallel_for);

template <typename T>
void roi_pool(const T* x, const MapShape& shape, const RoiSet<T>& rois, const PoolParams& params, T* y,
              const ParallelFor& parallel_for);

// Position-sensitive ops: shape.c = C_out * output_height * output_width. PSRoIAlign uses the
// size, scale and sampling ratio of `params` (its geometry is always the aligned one).
template <typename T>
void ps_roi_align(const T* x, const MapShape& shape, const RoiSet<T>& rois, const AlignParams& params, T* y,
                  const ParallelFor& parallel_for);

template <typename T>
void ps_roi_pool(const T* x, const MapShape& shape, const RoiSet<T>& rois, const PoolParams& params, T* y,
                 const ParallelFor& parallel_for);

// rois.cols is 6 (batch index first) or 5 (with batch indices).
template <typename T>
void roi_align_rotated(const T* x, const MapShape& shape, const RoiSet<T>& rois, const RotatedParams& params, T* y,
                       const ParallelFor& parallel_for);

// One map per entry of params.spatial_scales, finest first, all with the same N and C.
template <typename T>
void multi_scale_roi_align(const std::vector<const T*>& maps, const std::vector<MapShape>& shapes,
                           const RoiSet<T>& rois, const MultiScaleParams& params, T* y,
                           const ParallelFor& parallel_for);

// As multi_scale_roi_align, with rotated RoIs (rois.cols 6, or 5 with batch indices).
template <typename T>
void multi_scale_roi_align_rotated(const std::vector<const T*>& maps, const std::vector<MapShape>& shapes,
                                   const RoiSet<T>& rois, const MultiScaleRotatedParams& params, T* y,
                                   const ParallelFor& parallel_for);

// boxes [count, 4] = normalised (y1, x1, y2, x2); box_indices already checked to lie in [0, N).
template <typename T>
void crop_and_resize(const T* x, const MapShape& shape, const T* boxes, const int64_t* box_indices, int64_t count,
                     const CropParams& params, T* y, const ParallelFor& parallel_for);

}  // namespace roi_ops::cpu
