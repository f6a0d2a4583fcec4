// The CPU kernels' ParallelFor, backed by the session's intra-op thread pool.
#pragma once

#include "../cpu/parallel.h"
#include "ort_api.h"

namespace roi_ops::ort {

cpu::ParallelFor thread_pool_for(const OrtKernelContext* context);

}  // namespace roi_ops::ort
