// Device-side helpers shared by the CUDA kernels: storage <-> accumulation types, RoIs read and
// checked on the device, and the launch shape with its grid-stride loop.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "../math/host_device.h"
#include "../math/roi_align_rotated.h"
#include "../math/rois.h"

namespace roi_ops::cuda {

// float16 accumulates in float32, float64 in float64 (docs/spec.md, "Common rules").
template <typename T>
struct Acc {
  using type = float;
};
template <>
struct Acc<double> {
  using type = double;
};
template <typename T>
using acc_t = typename Acc<T>::type;

__device__ __forceinline__ float load(const float* p) { return __ldg(p); }
__device__ __forceinline__ double load(const double* p) { return __ldg(p); }
__device__ __forceinline__ float load(const __half* p) { return __half2float(__ldg(p)); }

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(double* p, double v) { *p = v; }
__device__ __forceinline__ void store(__half* p, float v) { *p = __float2half_rn(v); }

template <typename T>
struct LoadAs {
  __device__ __forceinline__ acc_t<T> operator()(const T& v) const { return load(&v); }
};

template <typename A>
__device__ __forceinline__ A quiet_nan() {
  return A(NAN);
}

// The batch index of RoI k, or -1 when it is not an integer in [0, n). The host cannot check
// these values without copying them from the device on every call (which the CUDA kernels
// never do), so an invalid index is answered here: its RoI's output block is NaN, and no
// memory outside X is read. The CPU kernels report the same input as an error.
template <typename T>
__device__ __forceinline__ int64_t batch_index(const T* rois, int64_t cols, int64_t box_cols,
                                               const int64_t* batch_indices, int64_t k, int64_t n) {
  if (cols == box_cols) {
    const int64_t b = batch_indices[k];
    return b >= 0 && b < n ? b : -1;
  }
  const double v = static_cast<double>(load(rois + k * cols));
  // Written so that NaN fails every test before the conversion.
  if (!(v >= 0.0 && v < static_cast<double>(n)) || floor(v) != v) return -1;
  return static_cast<int64_t>(v);
}

// RoI k's box, its batch index read and checked as above: false where the index is invalid or a
// coordinate is not finite, whose output block is NaN (docs/spec.md, "Common rules").
template <typename T>
__device__ __forceinline__ bool read_roi(const T* rois, int64_t cols, const int64_t* batch_indices, int64_t k,
                                         int64_t n, math::Box<double>* box) {
  const int64_t b = batch_index(rois, cols, 4, batch_indices, k, n);
  *box = math::read_box_coords<double>(rois, cols, k, b, LoadAs<T>{});
  return b >= 0 && math::box_is_finite(*box);
}

template <typename T>
__device__ __forceinline__ bool read_rotated_roi(const T* rois, int64_t cols, const int64_t* batch_indices,
                                                 int64_t k, int64_t n, math::RotatedBox<double>* box) {
  const int64_t b = batch_index(rois, cols, 5, batch_indices, k, n);
  *box = math::read_rotated_box_coords<double>(rois, cols, k, b, LoadAs<T>{});
  return b >= 0 && math::rotated_box_is_finite(*box);
}

constexpr int kThreads = 256;

// Grid for a grid-stride loop over `total` outputs.
inline unsigned grid_for(int64_t total) {
  const int64_t blocks = (total + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < (int64_t{1} << 20) ? blocks : (int64_t{1} << 20));
}

// Output index i of [K, C, oh, ow] split into its coordinates.
struct OutIndex {
  int64_t k, c, ph, pw;
};

__device__ __forceinline__ OutIndex split_index(int64_t i, int64_t c, int64_t oh, int64_t ow) {
  OutIndex o;
  o.pw = i % ow;
  o.ph = (i / ow) % oh;
  o.c = (i / (ow * oh)) % c;
  o.k = i / (ow * oh * c);
  return o;
}

// Calls f(i, o) for each element i of a [count, c, oh, ow] output that this thread owns, o its
// coordinates: a grid-stride loop, so grid_for's capped grid still covers every element.
template <typename F>
__device__ __forceinline__ void for_each_output(int64_t count, int64_t c, int64_t oh, int64_t ow, F f) {
  const int64_t total = count * c * oh * ow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    f(i, split_index(i, c, oh, ow));
}

}  // namespace roi_ops::cuda
