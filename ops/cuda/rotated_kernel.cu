// RoIAlignRotated on CUDA: one thread per output element; rotated sample positions, map bounds
// and bilinear taps from the shared math (math/roi_align_rotated.h, math/bilinear.h).
#include <cuda_fp16.h>

#include "../math/bilinear.h"
#include "../math/roi_align.h"
#include "../math/roi_align_rotated.h"
#include "device_common.cuh"
#include "launch.h"
#include "launch_check.h"
#include "storage.cuh"

namespace roi_ops::cuda {
namespace {

template <typename T>
__global__ void rotated_kernel(const T* x, math::MapShape s, const T* rois, int64_t count, int64_t cols,
                               const int64_t* bi, math::RotatedParams p, T* y) {
  using A = acc_t<T>;
  const int64_t oh = p.output_height, ow = p.output_width;
  const int64_t total = count * s.c * oh * ow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const OutIndex o = split_index(i, s.c, oh, ow);
    const int64_t n = batch_index(rois, cols, 5, bi, o.k, s.n);
    // Geometry and taps in double, each weight rounded once to A, as on the CPU.
    const auto box = math::read_rotated_box_coords<double>(rois, cols, o.k, n, LoadAs<T>{});
    if (n < 0 || !math::rotated_box_is_finite(box)) {
      store(y + i, quiet_nan<A>());
      continue;
    }
    const auto g = math::rotated_geometry(box, p.spatial_scale, p.options, oh, ow, p.sampling_ratio);
    double yy_lo, yy_hi, xx_lo, xx_hi;
    math::rotated_map_bounds(g, s.h, s.w, &yy_lo, &yy_hi, &xx_lo, &xx_hi);
    int64_t iy0, iy1, ix0, ix1;
    math::bin_sample_range(g.y, o.ph, yy_lo, yy_hi, &iy0, &iy1);
    math::bin_sample_range(g.x, o.pw, xx_lo, xx_hi, &ix0, &ix1);
    const T* plane = x + (n * s.c + o.c) * s.h * s.w;
    A sum = 0;
    for (int64_t iy = iy0; iy < iy1; ++iy) {
      const double yy = math::sample_position(g.y, o.ph, iy);
      for (int64_t ix = ix0; ix < ix1; ++ix) {
        double py, px;
        math::rotated_point(g, yy, math::sample_position(g.x, o.pw, ix), &py, &px);
        const auto ty = math::axis_tap(py, s.h);
        const auto tx = math::axis_tap(px, s.w);
        if (!ty.valid || !tx.valid) continue;  // outside the map: 0
        const A wyl = A(ty.w_lo), wyh = A(ty.w_hi), wxl = A(tx.w_lo), wxh = A(tx.w_hi);
        sum += wyl * wxl * load(plane + ty.lo * s.w + tx.lo) + wyl * wxh * load(plane + ty.lo * s.w + tx.hi) +
               wyh * wxl * load(plane + ty.hi * s.w + tx.lo) + wyh * wxh * load(plane + ty.hi * s.w + tx.hi);
      }
    }
    store(y + i, sum / A(math::sample_count(g.y, g.x)));
  }
}

}  // namespace

template <typename T>
void roi_align_rotated(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const math::RotatedParams& p,
                       T* y, Stream stream) {
  using D = typename Storage<T>::type;
  const int64_t total = r.count * s.c * p.output_height * p.output_width;
  if (total == 0) return;
  rotated_kernel<<<grid_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<const D*>(x), s, reinterpret_cast<const D*>(r.rois), r.count, r.cols, r.batch_indices, p,
      reinterpret_cast<D*>(y));
  check_launch("RoIAlignRotated");
}

template void roi_align_rotated<float>(const float*, const math::MapShape&, const math::RoiSet<float>&,
                                       const math::RotatedParams&, float*, Stream);
template void roi_align_rotated<double>(const double*, const math::MapShape&, const math::RoiSet<double>&,
                                        const math::RotatedParams&, double*, Stream);
template void roi_align_rotated<math::Half>(const math::Half*, const math::MapShape&, const math::RoiSet<math::Half>&,
                                           const math::RotatedParams&, math::Half*, Stream);

}  // namespace roi_ops::cuda
