// The CPU execution provider as a `Device` of the op shells (roi_op.h, multi_scale_op.h,
// crop_and_resize_op.h): inputs readable on the host, work split over the session's intra-op
// thread pool.
#pragma once

#include "../cpu/roi_kernels.h"
#include "cpu_context.h"

namespace roi_ops::ort {

struct OnCpu {
  static constexpr const char* kProvider = "CPUExecutionProvider";
  static constexpr bool kHostData = true;
  static cpu::ParallelFor exec(OrtKernelContext* context) { return thread_pool_for(context); }

  template <typename Traits, typename... A>
  static void run(A&&... args) {
    Traits::run_cpu(args...);
  }
};

}  // namespace roi_ops::ort
