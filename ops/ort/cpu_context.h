// Adapters from an OrtKernelContext to what the CPU kernels take: a ParallelFor over the
// session's intra-op thread pool and a Workspace from the session's CPU allocator.
#pragma once

#include <vector>

#include "../cpu/parallel.h"
#include "../cpu/workspace.h"
#include "ort_api.h"

namespace roi_ops::ort {

cpu::ParallelFor thread_pool_for(const OrtKernelContext* context);

class AllocatorWorkspace final : public cpu::Workspace {
 public:
  explicit AllocatorWorkspace(const OrtKernelContext* context);
  ~AllocatorWorkspace() override;
  AllocatorWorkspace(const AllocatorWorkspace&) = delete;
  AllocatorWorkspace& operator=(const AllocatorWorkspace&) = delete;
  void* allocate(std::size_t bytes) override;

 private:
  OrtAllocator* allocator_ = nullptr;
  std::vector<void*> blocks_;
};

}  // namespace roi_ops::ort
