// Every kernel launch is checked (STYLE.md, principle 4): a failure becomes an exception naming
// the op, which the onnxruntime glue turns into an error status.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace roi_ops::cuda {

inline void check_launch(const char* op) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string(op) + ": CUDA kernel launch failed: " + cudaGetErrorString(e));
}

}  // namespace roi_ops::cuda
