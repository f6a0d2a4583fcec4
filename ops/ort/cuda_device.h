// The CUDA execution provider as a `Device` of the op shells (roi_op.h, multi_scale_op.h,
// crop_and_resize_op.h). Inputs and outputs live on the device; the kernels run on the stream
// onnxruntime hands the kernel (KernelContext_GetGPUComputeStream), never synchronise and
// allocate nothing (outputs come from onnxruntime's allocator through GetOutput). Validation is
// the CPU shells' code except for values only the device can see (batch and box indices, see
// cuda/device_common.cuh).
#pragma once

#include "../cuda/launch.h"
#include "ort_api.h"
#include "roi_traits.h"

namespace roi_ops::ort {

// Which CUDA launcher serves each single-map op.
template <typename Traits>
struct CudaLaunch;
template <>
struct CudaLaunch<RoIAlignTraits> {
  template <typename... A>
  static void run(A&&... a) { cuda::roi_align(a...); }
};
template <>
struct CudaLaunch<RoIPoolTraits> {
  template <typename... A>
  static void run(A&&... a) { cuda::roi_pool(a...); }
};
template <>
struct CudaLaunch<PSRoIAlignTraits> {
  template <typename... A>
  static void run(A&&... a) { cuda::ps_roi_align(a...); }
};
template <>
struct CudaLaunch<PSRoIPoolTraits> {
  template <typename... A>
  static void run(A&&... a) { cuda::ps_roi_pool(a...); }
};
template <>
struct CudaLaunch<RoIAlignRotatedTraits> {
  template <typename... A>
  static void run(A&&... a) { cuda::roi_align_rotated(a...); }
};

struct OnCuda {
  static constexpr const char* kProvider = "CUDAExecutionProvider";
  static constexpr bool kHostData = false;
  static cuda::Stream exec(OrtKernelContext* context) { return Ort::KernelContext(context).GetGPUComputeStream(); }

  template <typename Traits, typename... A>
  static void run(A&&... args) {
    CudaLaunch<Traits>::run(args...);
  }
  template <typename... A>
  static void multi_scale_roi_align(A&&... args) {
    cuda::multi_scale_roi_align(args...);
  }
  template <typename... A>
  static void crop_and_resize(A&&... args) {
    cuda::crop_and_resize(args...);
  }
};

}  // namespace roi_ops::ort
