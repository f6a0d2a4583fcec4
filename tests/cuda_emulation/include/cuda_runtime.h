// CUDA emulation (tests/cuda_emulation): the part of the CUDA runtime API the kernels in ops/cuda
// use, for compiling them unchanged as C++ and running their launches serially on the CPU.
// Launches are rewritten to roi_ops_emulation::launch(...) at build time (rewrite_launches.py).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

using cudaStream_t = struct CUstream_st*;
enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidConfiguration = 9 };

namespace roi_ops_emulation {
// The coordinates of the emulated thread that runs now (one at a time).
inline thread_local dim3 thread_idx, block_idx, block_dim, grid_dim;
inline thread_local cudaError_t last_error = cudaSuccess;
// 0: launch the grid asked for; else at most this many blocks, which a grid-stride kernel must
// survive with identical output (set from the tests through the harness).
inline unsigned max_grid = 0;

// Runs every thread of the grid, serially, after the checks a GPU makes at launch.
inline void launch(dim3 grid, dim3 block, std::size_t /*shared_bytes*/, cudaStream_t /*stream*/,
                   const std::function<void()>& thread_body) {
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0 || threads > 1024 || block.z > 64 ||
      grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
    last_error = cudaErrorInvalidConfiguration;
    return;
  }
  if (max_grid != 0 && grid.x > max_grid) grid.x = max_grid;
  grid_dim = grid;
  block_dim = block;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx)
        for (unsigned tz = 0; tz < block.z; ++tz)
          for (unsigned ty = 0; ty < block.y; ++ty)
            for (unsigned tx = 0; tx < block.x; ++tx) {
              block_idx = dim3(bx, by, bz);
              thread_idx = dim3(tx, ty, tz);
              thread_body();
            }
}
}  // namespace roi_ops_emulation

#define threadIdx (::roi_ops_emulation::thread_idx)
#define blockIdx (::roi_ops_emulation::block_idx)
#define blockDim (::roi_ops_emulation::block_dim)
#define gridDim (::roi_ops_emulation::grid_dim)

inline cudaError_t cudaGetLastError() {
  const cudaError_t e = roi_ops_emulation::last_error;
  roi_ops_emulation::last_error = cudaSuccess;
  return e;
}
inline const char* cudaGetErrorString(cudaError_t e) {
  return e == cudaSuccess ? "no error" : "invalid configuration argument";
}

// Read-only cache loads are plain loads here.
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}

// Device math that CUDA offers in the global namespace, as overloads for float and double.
using std::ceil;
using std::cos;
using std::floor;
using std::fmax;
using std::fmin;
using std::isfinite;
using std::isnan;
using std::log2;
using std::round;
using std::sin;
using std::sqrt;
