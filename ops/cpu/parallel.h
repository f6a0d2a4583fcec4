// How CPU kernels split work without knowing onnxruntime: the glue passes a ParallelFor backed
// by the session's intra-op thread pool (KernelContext_ParallelFor); tests and benchmarks may
// pass serial_for. Every task writes a disjoint part of the output and no task's result depends
// on which thread runs it, so outputs are bit-identical for every thread count.
#pragma once

#include <cstddef>
#include <functional>

namespace roi_ops::cpu {

using TaskBody = std::function<void(std::size_t task)>;
using ParallelFor = std::function<void(std::size_t tasks, const TaskBody& body)>;

inline void serial_for(std::size_t tasks, const TaskBody& body) {
  for (std::size_t i = 0; i < tasks; ++i) body(i);
}

// Splits `items` into at most `max_tasks` contiguous ranges; returns [begin, end) of range `task`.
inline void task_range(std::size_t items, std::size_t tasks, std::size_t task, std::size_t* begin,
                       std::size_t* end) {
  *begin = items * task / tasks;
  *end = items * (task + 1) / tasks;
}

}  // namespace roi_ops::cpu
