// Host entry points of the CUDA kernels: plain functions over typed device pointers and a
// stream (STYLE.md, principle 4), callable from the onnxruntime glue, a test binary or a
// benchmark. Inputs must already be validated for shape (ort/validation.h); values that only
// the device can see (batch indices) are handled in the kernels (device_common.cuh). Every
// launch is checked; a failure throws std::runtime_error naming the op. Nothing is allocated
// and the device is never synchronised.
#pragma once

#include <cstdint>
#include <vector>

#include "../math/half.h"
#include "../math/fpn_levels.h"
#include "../math/kernel_args.h"

namespace roi_ops::cuda {

using Stream = void*;  // cudaStream_t, kept opaque so that host-only code can include this

// T is float, double or math::Half (binary16 storage, the layout of __half).
template <typename T>
void roi_align(const T* x, const math::MapShape& shape, const math::RoiSet<T>& rois, const math::AlignParams& p, T* y,
               Stream stream);
template <typename T>
void roi_pool(const T* x, const math::MapShape& shape, const math::RoiSet<T>& rois, const math::PoolParams& p, T* y,
              Stream stream);
template <typename T>
void ps_roi_align(const T* x, const math::MapShape& shape, const math::RoiSet<T>& rois, const math::AlignParams& p,
                  T* y, Stream stream);
template <typename T>
void ps_roi_pool(const T* x, const math::MapShape& shape, const math::RoiSet<T>& rois, const math::PoolParams& p, T* y,
                 Stream stream);
template <typename T>
void roi_align_rotated(const T* x, const math::MapShape& shape, const math::RoiSet<T>& rois,
                       const math::RotatedParams& p, T* y, Stream stream);

// Up to kMaxLevels maps (their pointers and shapes travel in the kernel's parameters); the
// attribute parser refuses more on every device.
constexpr int kMaxLevels = static_cast<int>(math::kMaxFeatureMaps);
template <typename T>
void multi_scale_roi_align(const std::vector<const T*>& maps, const std::vector<math::MapShape>& shapes,
                           const math::RoiSet<T>& rois, const math::MultiScaleParams& p, T* y, Stream stream);
template <typename T>
void multi_scale_roi_align_rotated(const std::vector<const T*>& maps, const std::vector<math::MapShape>& shapes,
                                   const math::RoiSet<T>& rois, const math::MultiScaleRotatedParams& p, T* y,
                                   Stream stream);

// box_indices are int32 or int64 (I), on the device.
template <typename T, typename I>
void crop_and_resize(const T* x, const math::MapShape& shape, const T* boxes, const I* box_indices, int64_t count,
                     const math::CropParams& p, T* y, Stream stream);

}  // namespace roi_ops::cuda
