// CropAndResize on CUDA: one thread per output element, TensorFlow's sampling from the shared
// math (math/crop_and_resize.h).
#include <cuda_fp16.h>

#include "../math/crop_and_resize.h"
#include "device_common.cuh"
#include "launch.h"
#include "launch_check.h"
#include "storage.cuh"

namespace roi_ops::cuda {
namespace {

template <typename T, typename I>
__global__ void crop_kernel(const T* x, math::MapShape s, const T* boxes, const I* box_indices, int64_t count,
                            math::CropParams p, T* y) {
  using A = acc_t<T>;
  const int64_t ch = p.crop_height, cw = p.crop_width;
  for_each_output(count, s.c, ch, cw, [&](int64_t i, const OutIndex& o) {
    const int64_t n = static_cast<int64_t>(box_indices[o.k]);
    const T* b = boxes + o.k * 4;  // (y1, x1, y2, x2)
    // Positions in double, as on the CPU, so both decide alike which points lie outside.
    const double y1 = load(b), x1 = load(b + 1), y2 = load(b + 2), x2 = load(b + 3);
    // An index outside [0, N) cannot raise without a device-to-host copy: its block is NaN
    // (device_common.cuh), as is a box with a non-finite coordinate (docs/spec.md, "Common rules").
    if (n < 0 || n >= s.n || !isfinite(y1) || !isfinite(x1) || !isfinite(y2) || !isfinite(x2)) {
      store(y + i, quiet_nan<A>());
      return;
    }
    const auto ty = math::crop_tap(math::crop_position(y1, y2, s.h, ch, o.ph), s.h);
    const auto tx = math::crop_tap(math::crop_position(x1, x2, s.w, cw, o.pw), s.w);
    A v = A(p.extrapolation_value);
    if (ty.valid && tx.valid) {
      const T* plane = x + (n * s.c + o.c) * s.h * s.w;
      if (p.nearest) {
        v = load(plane + ty.nearest * s.w + tx.nearest);
      } else {
        const A tl = load(plane + ty.lo * s.w + tx.lo), tr = load(plane + ty.lo * s.w + tx.hi);
        const A bl = load(plane + ty.hi * s.w + tx.lo), br = load(plane + ty.hi * s.w + tx.hi);
        const A fx = A(tx.frac), fy = A(ty.frac);
        const A top = tl + (tr - tl) * fx, bottom = bl + (br - bl) * fx;
        v = top + (bottom - top) * fy;
      }
    }
    store(y + i, v);
  });
}

}  // namespace

template <typename T, typename I>
void crop_and_resize(const T* x, const math::MapShape& s, const T* boxes, const I* box_indices, int64_t count,
                     const math::CropParams& p, T* y, Stream stream) {
  using D = typename Storage<T>::type;
  const int64_t total = count * s.c * p.crop_height * p.crop_width;
  if (total == 0) return;
  crop_kernel<<<grid_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<const D*>(x), s, reinterpret_cast<const D*>(boxes), box_indices, count, p,
      reinterpret_cast<D*>(y));
  check_launch("CropAndResize");
}

#define ROI_OPS_INSTANTIATE(T, I)                                                                           \
  template void crop_and_resize<T, I>(const T*, const math::MapShape&, const T*, const I*, int64_t,          \
                                      const math::CropParams&, T*, Stream);
ROI_OPS_INSTANTIATE(float, int32_t)
ROI_OPS_INSTANTIATE(float, int64_t)
ROI_OPS_INSTANTIATE(double, int32_t)
ROI_OPS_INSTANTIATE(double, int64_t)
ROI_OPS_INSTANTIATE(math::Half, int32_t)
ROI_OPS_INSTANTIATE(math::Half, int64_t)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cuda
