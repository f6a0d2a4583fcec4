// The CUDA execution provider as a `Device` of the op shells (roi_op.h, multi_scale_op.h,
// crop_and_resize_op.h). Inputs and outputs live on the device; the kernels run on the stream
// onnxruntime hands the kernel (KernelContext_GetGPUComputeStream), never synchronise and
// allocate nothing (outputs come from onnxruntime's allocator through GetOutput). Validation is
// the CPU shells' code except for values only the device can see (batch and box indices, see
// cuda/device_common.cuh).
#pragma once

#include "../cuda/launch.h"
#include "ort_api.h"

namespace roi_ops::ort {

struct OnCuda {
  static constexpr const char* kProvider = "CUDAExecutionProvider";
  static constexpr bool kHostData = false;
  static cuda::Stream exec(OrtKernelContext* context) { return Ort::KernelContext(context).GetGPUComputeStream(); }

  template <typename Traits, typename... A>
  static void run(A&&... args) {
    Traits::run_cuda(args...);
  }
};

}  // namespace roi_ops::ort
