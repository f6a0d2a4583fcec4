// Each op's attributes, parsed once per kernel (in its constructor) into the typed parameter
// struct its CPU and CUDA kernels take. Missing attributes take docs/spec.md's defaults; present ones
// are range-checked with messages that name the op and the attribute.
#pragma once

#include "../math/kernel_args.h"
#include "ort_api.h"

namespace roi_ops::ort {

math::AlignParams parse_roi_align(const OrtKernelInfo* info);
math::PoolParams parse_roi_pool(const OrtKernelInfo* info);
math::AlignParams parse_ps_roi_align(const OrtKernelInfo* info);
math::PoolParams parse_ps_roi_pool(const OrtKernelInfo* info);
math::RotatedParams parse_roi_align_rotated(const OrtKernelInfo* info);
math::MultiScaleParams parse_multi_scale_roi_align(const OrtKernelInfo* info);
math::MultiScaleRotatedParams parse_multi_scale_roi_align_rotated(const OrtKernelInfo* info);
math::CropParams parse_crop_and_resize(const OrtKernelInfo* info);

}  // namespace roi_ops::ort
