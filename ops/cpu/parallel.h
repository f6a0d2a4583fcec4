// How CPU kernels split work without knowing onnxruntime: the glue passes a ParallelFor backed
// by the session's intra-op thread pool (KernelContext_ParallelFor). Every task writes a
// disjoint part of the output and no task's result depends on which thread runs it, so outputs
// are bit-identical for every thread count.
#pragma once

#include <cstddef>
#include <functional>

namespace roi_ops::cpu {

using TaskBody = std::function<void(std::size_t task)>;
using ParallelFor = std::function<void(std::size_t tasks, const TaskBody& body)>;

}  // namespace roi_ops::cpu
