// The CPU execution provider as a `Device` of the op shells (roi_op.h, multi_scale_op.h,
// crop_and_resize_op.h): inputs readable on the host, work split over the session's intra-op
// thread pool.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

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
  template <typename... A>
  static void multi_scale_roi_align(A&&... args) {
    cpu::multi_scale_roi_align(args...);
  }
  template <typename T, typename I>
  static void crop_and_resize(const T* x, const math::MapShape& s, const T* boxes, const I* indices, int64_t count,
                              const math::CropParams& p, T* y, const cpu::ParallelFor& pf) {
    if constexpr (sizeof(I) == sizeof(int64_t)) {
      cpu::crop_and_resize(x, s, boxes, indices, count, p, y, pf);
    } else {
      // The shell hands the CPU int64 indices it validated on the host; never int32.
      throw std::logic_error("CropAndResize: CPU kernel called with unchecked int32 indices");
    }
  }
};

}  // namespace roi_ops::ort
