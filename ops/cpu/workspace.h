// Scratch memory for one kernel call. The onnxruntime glue backs it with the session's CPU
// allocator, whose arena hands the same blocks back on the next run instead of fresh pages;
// HeapWorkspace serves test binaries and benchmarks.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace roi_ops::cpu {

class Workspace {
 public:
  virtual ~Workspace() = default;
  // Memory stays valid until the workspace is destroyed. Throws on failure.
  virtual void* allocate(std::size_t bytes) = 0;

  template <typename A>
  A* allocate_array(std::size_t count) {
    return static_cast<A*>(allocate(count * sizeof(A)));
  }
};

class HeapWorkspace final : public Workspace {
 public:
  void* allocate(std::size_t bytes) override {
    blocks_.emplace_back(new unsigned char[bytes ? bytes : 1]);
    return blocks_.back().get();
  }

 private:
  std::vector<std::unique_ptr<unsigned char[]>> blocks_;
};

}  // namespace roi_ops::cpu
