// RoIAlignRotated and MultiScaleRoIAlignRotated on CUDA: one thread per output element; rotated sample positions, map bounds
// and bilinear taps from the shared math (math/roi_align_rotated.h, math/bilinear.h).
#include <cuda_fp16.h>

#include "../math/bilinear.h"
#include "../math/fpn_levels.h"
#include "../math/roi_align.h"
#include "../math/roi_align_rotated.h"
#include "device_common.cuh"
#include "launch.h"
#include "launch_check.h"
#include "pyramid.cuh"
#include "storage.cuh"

namespace roi_ops::cuda {
namespace {

// One bin of one channel plane.
template <typename T, typename A = acc_t<T>>
__device__ A rotated_bin(const T* plane, const math::MapShape& s, const math::RotatedGeometry<double>& g, int64_t ph,
                         int64_t pw) {
  double yy_lo, yy_hi, xx_lo, xx_hi;
  math::rotated_map_bounds(g, s.h, s.w, &yy_lo, &yy_hi, &xx_lo, &xx_hi);
  int64_t iy0, iy1, ix0, ix1;
  math::bin_sample_range(g.y, ph, yy_lo, yy_hi, &iy0, &iy1);
  math::bin_sample_range(g.x, pw, xx_lo, xx_hi, &ix0, &ix1);
  A sum = 0;
  for (int64_t iy = iy0; iy < iy1; ++iy) {
    const double yy = math::sample_position(g.y, ph, iy);
    for (int64_t ix = ix0; ix < ix1; ++ix) {
      double py, px;
      math::rotated_point(g, yy, math::sample_position(g.x, pw, ix), &py, &px);
      const auto ty = math::axis_tap(py, s.h);
      const auto tx = math::axis_tap(px, s.w);
      if (!ty.valid || !tx.valid) continue;  // outside the map: 0
      const A wyl = A(ty.w_lo), wyh = A(ty.w_hi), wxl = A(tx.w_lo), wxh = A(tx.w_hi);
      sum += wyl * wxl * load(plane + ty.lo * s.w + tx.lo) + wyl * wxh * load(plane + ty.lo * s.w + tx.hi) +
             wyh * wxl * load(plane + ty.hi * s.w + tx.lo) + wyh * wxh * load(plane + ty.hi * s.w + tx.hi);
    }
  }
  return sum / A(math::sample_count(g.y, g.x));
}

template <typename T>
__global__ void rotated_kernel(const T* x, math::MapShape s, const T* rois, int64_t count, int64_t cols,
                               const int64_t* bi, math::RotatedParams p, T* y) {
  using A = acc_t<T>;
  const int64_t oh = p.output_height, ow = p.output_width;
  for_each_output(count, s.c, oh, ow, [&](int64_t i, const OutIndex& o) {
    // Geometry and taps in double, each weight rounded once to A, as on the CPU.
    math::RotatedBox<double> box;
    if (!read_rotated_roi(rois, cols, bi, o.k, s.n, &box)) {
      store(y + i, quiet_nan<A>());
      return;
    }
    const auto g = math::rotated_geometry(box, p.spatial_scale, p.options, oh, ow, p.sampling_ratio);
    store(y + i, rotated_bin(x + (box.batch * s.c + o.c) * s.h * s.w, s, g, o.ph, o.pw));
  });
}

// MultiScaleRotatedParams without its vector: what the kernel reads, passed by value.
struct RotatedLevelParams {
  int64_t output_height, output_width, sampling_ratio;
  math::RotatedOptions options;
  math::FpnLevels levels;
};

template <typename T>
__global__ void multi_scale_rotated_kernel(Pyramid<T> pyr, const T* rois, int64_t count, int64_t cols,
                                           const int64_t* bi, RotatedLevelParams p, T* y) {
  using A = acc_t<T>;
  const math::MapShape s0 = pyr.shapes[0];
  const int64_t oh = p.output_height, ow = p.output_width;
  for_each_output(count, s0.c, oh, ow, [&](int64_t i, const OutIndex& o) {
    math::RotatedBox<double> box;
    if (!read_rotated_roi(rois, cols, bi, o.k, s0.n, &box)) {
      store(y + i, quiet_nan<A>());
      return;
    }
    const int64_t l = math::fpn_level_of_area(box.w * box.h, p.levels);
    if (l >= pyr.count) {  // a skipped pyramid level
      store(y + i, A(0));
      return;
    }
    box.w *= p.levels.roi_scale_factor;
    box.h *= p.levels.roi_scale_factor;
    const math::MapShape s = pyr.shapes[l];
    const auto g = math::rotated_geometry(box, pyr.scales[l], p.options, oh, ow, p.sampling_ratio);
    store(y + i, rotated_bin(pyr.maps[l] + (box.batch * s.c + o.c) * s.h * s.w, s, g, o.ph, o.pw));
  });
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

template <typename T>
void multi_scale_roi_align_rotated(const std::vector<const T*>& maps, const std::vector<math::MapShape>& shapes,
                                   const math::RoiSet<T>& r, const math::MultiScaleRotatedParams& p, T* y,
                                   Stream stream) {
  using D = typename Storage<T>::type;
  const char* op = "MultiScaleRoIAlignRotated";
  const Pyramid<D> pyr = make_pyramid<D>(op, maps, shapes, p.spatial_scales);
  const int64_t total = r.count * shapes[0].c * p.output_height * p.output_width;
  if (total == 0) return;
  multi_scale_rotated_kernel<<<grid_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      pyr, reinterpret_cast<const D*>(r.rois), r.count, r.cols, r.batch_indices,
      RotatedLevelParams{p.output_height, p.output_width, p.sampling_ratio, p.options, p.levels},
      reinterpret_cast<D*>(y));
  check_launch(op);
}

#define ROI_OPS_INSTANTIATE(T)                                                                                   \
  template void roi_align_rotated<T>(const T*, const math::MapShape&, const math::RoiSet<T>&,                    \
                                     const math::RotatedParams&, T*, Stream);                                    \
  template void multi_scale_roi_align_rotated<T>(const std::vector<const T*>&, const std::vector<math::MapShape>&, \
                                                 const math::RoiSet<T>&, const math::MultiScaleRotatedParams&, T*, \
                                                 Stream);
ROI_OPS_INSTANTIATE(float)
ROI_OPS_INSTANTIATE(double)
ROI_OPS_INSTANTIATE(math::Half)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cuda
