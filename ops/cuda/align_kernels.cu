// RoIAlign, PSRoIAlign and MultiScaleRoIAlign on CUDA: one thread per output element; each
// sample's row and column taps come from the shared math (math/roi_align.h, math/bilinear.h),
// computed once per sample row and once per sample. Consecutive threads handle consecutive
// output columns of one channel, so their reads fall on neighbouring columns of one plane.
#include <cuda_fp16.h>

#include "../math/bilinear.h"
#include "../math/fpn_levels.h"
#include "../math/ps_roi.h"
#include "../math/roi_align.h"
#include "../math/rois.h"
#include "device_common.cuh"
#include "launch.h"
#include "launch_check.h"
#include "pyramid.cuh"
#include "storage.cuh"

namespace roi_ops::cuda {
namespace {

using math::AlignMode;

// One bin of one channel plane (docs/spec.md, "RoIAlign"); samples outside [-1, size] are skipped
// (they are 0), which bounds the work of a huge RoI by the map. As on the CPU, the geometry and
// the taps are computed in double and each tap weight is rounded once to the accumulation type
// A: in float, sample positions of a large RoI drift by whole 1e-3 of a cell (the CUDA
// emulation measured 4e-3 relative error in the max modes before).
template <int kMode, typename T, typename A = acc_t<T>>
__device__ A align_bin(const T* plane, int64_t h, int64_t w, const math::AlignAxis<double>& ay,
                       const math::AlignAxis<double>& ax, int64_t ph, int64_t pw) {
  int64_t iy0, iy1, ix0, ix1;
  math::bin_sample_range(ay, ph, h, &iy0, &iy1);
  math::bin_sample_range(ax, pw, w, &ix0, &ix1);
  A sum = 0, best = -INFINITY;
  int64_t taken = 0;
  for (int64_t iy = iy0; iy < iy1; ++iy) {
    const auto ty = math::axis_tap(math::sample_position(ay, ph, iy), h);
    if (!ty.valid) continue;
    const T* row_lo = plane + ty.lo * w;
    const T* row_hi = plane + ty.hi * w;
    for (int64_t ix = ix0; ix < ix1; ++ix) {
      const auto tx = math::axis_tap(math::sample_position(ax, pw, ix), w);
      if (!tx.valid) continue;
      const A wyl = A(ty.w_lo), wyh = A(ty.w_hi), wxl = A(tx.w_lo), wxh = A(tx.w_hi);
      const A a = wyl * wxl * load(row_lo + tx.lo), b = wyl * wxh * load(row_lo + tx.hi);
      const A c = wyh * wxl * load(row_hi + tx.lo), d = wyh * wxh * load(row_hi + tx.hi);
      if (kMode == static_cast<int>(AlignMode::kAvg)) {
        sum += (a + b) + (c + d);
      } else if (kMode == static_cast<int>(AlignMode::kMax)) {
        best = fmax(best, (a + b) + (c + d));
      } else {  // ONNX Runtime's max: the largest weighted corner
        best = fmax(best, fmax(fmax(a, b), fmax(c, d)));
      }
      ++taken;
    }
  }
  if (kMode == static_cast<int>(AlignMode::kAvg)) return sum / A(math::sample_count(ay, ax));
  // A bin without samples is 0, and samples outside the map count as 0 in the max.
  if (taken == 0) return A(0);
  return double(taken) < ay.grid * ax.grid && best < A(0) ? A(0) : best;
}

template <int kMode, typename T>
__global__ void roi_align_kernel(const T* x, math::MapShape s, const T* rois, int64_t count, int64_t cols,
                                 const int64_t* bi, int64_t out_c, math::AlignParams p, bool position_sensitive,
                                 T* y) {
  using A = acc_t<T>;
  const int64_t oh = p.output_height, ow = p.output_width;
  for_each_output(count, out_c, oh, ow, [&](int64_t i, const OutIndex& o) {
    math::Box<double> box;
    if (!read_roi(rois, cols, bi, o.k, s.n, &box)) {
      store(y + i, quiet_nan<A>());
      return;
    }
    const auto ay = math::align_axis(box.y1, box.y2, p.spatial_scale, p.aligned, oh, p.sampling_ratio);
    const auto ax = math::align_axis(box.x1, box.x2, p.spatial_scale, p.aligned, ow, p.sampling_ratio);
    const int64_t c = position_sensitive ? math::ps_input_channel(o.c, o.ph, o.pw, oh, ow) : o.c;
    store(y + i, align_bin<kMode>(x + (box.batch * s.c + c) * s.h * s.w, s.h, s.w, ay, ax, o.ph, o.pw));
  });
}

template <typename T>
void launch_align(const char* op, const T* x, const math::MapShape& s, const math::RoiSet<T>& r,
                  const math::AlignParams& p, bool ps, T* y, Stream stream) {
  using D = typename Storage<T>::type;
  const int64_t out_c = ps ? s.c / (p.output_height * p.output_width) : s.c;
  const int64_t total = r.count * out_c * p.output_height * p.output_width;
  if (total == 0) return;
  auto st = static_cast<cudaStream_t>(stream);
  const auto* xd = reinterpret_cast<const D*>(x);
  const auto* rd = reinterpret_cast<const D*>(r.rois);
  auto* yd = reinterpret_cast<D*>(y);
  const unsigned grid = grid_for(total);
  // PSRoIAlign has no mode: it always averages (docs/spec.md, "PSRoIAlign"), whatever the params say.
  switch (ps ? AlignMode::kAvg : p.mode) {
    case AlignMode::kAvg:
      roi_align_kernel<0><<<grid, kThreads, 0, st>>>(xd, s, rd, r.count, r.cols, r.batch_indices, out_c, p, ps, yd);
      break;
    case AlignMode::kMax:
      roi_align_kernel<1><<<grid, kThreads, 0, st>>>(xd, s, rd, r.count, r.cols, r.batch_indices, out_c, p, ps, yd);
      break;
    case AlignMode::kOnnxMax:
      roi_align_kernel<2><<<grid, kThreads, 0, st>>>(xd, s, rd, r.count, r.cols, r.batch_indices, out_c, p, ps, yd);
      break;
  }
  check_launch(op);
}

// MultiScaleParams without its vector: what the kernel reads, passed by value.
struct LevelParams {
  int64_t output_height, output_width, sampling_ratio;
  bool aligned;
  math::FpnLevels levels;
};

template <int kMode, typename T>
__global__ void multi_scale_kernel(Pyramid<T> pyr, const T* rois, int64_t count, int64_t cols, const int64_t* bi,
                                   LevelParams p, T* y) {
  using A = acc_t<T>;
  const math::MapShape s0 = pyr.shapes[0];
  const int64_t oh = p.output_height, ow = p.output_width;
  for_each_output(count, s0.c, oh, ow, [&](int64_t i, const OutIndex& o) {
    math::Box<double> box;
    if (!read_roi(rois, cols, bi, o.k, s0.n, &box)) {
      store(y + i, quiet_nan<A>());
      return;
    }
    // The level in double, as on the CPU: a box near a level boundary must pick the same map.
    const int64_t l = math::fpn_level(box.x1, box.y1, box.x2, box.y2, p.levels);
    if (l >= pyr.count) {  // a skipped pyramid level (docs/spec.md, "MultiScaleRoIAlign")
      store(y + i, A(0));
      return;
    }
    math::scale_about_centre(&box.x1, &box.x2, p.levels.roi_scale_factor);
    math::scale_about_centre(&box.y1, &box.y2, p.levels.roi_scale_factor);
    const math::MapShape s = pyr.shapes[l];
    const double scale = pyr.scales[l];
    const auto ay = math::align_axis(box.y1, box.y2, scale, p.aligned, oh, p.sampling_ratio);
    const auto ax = math::align_axis(box.x1, box.x2, scale, p.aligned, ow, p.sampling_ratio);
    store(y + i, align_bin<kMode>(pyr.maps[l] + (box.batch * s.c + o.c) * s.h * s.w, s.h, s.w, ay, ax, o.ph, o.pw));
  });
}

}  // namespace

template <typename T>
void roi_align(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const math::AlignParams& p, T* y,
               Stream stream) {
  launch_align("RoIAlign", x, s, r, p, false, y, stream);
}

template <typename T>
void ps_roi_align(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const math::AlignParams& p, T* y,
                  Stream stream) {
  launch_align("PSRoIAlign", x, s, r, p, true, y, stream);
}

template <typename T>
void multi_scale_roi_align(const std::vector<const T*>& maps, const std::vector<math::MapShape>& shapes,
                           const math::RoiSet<T>& r, const math::MultiScaleParams& p, T* y, Stream stream) {
  using D = typename Storage<T>::type;
  const char* op = "MultiScaleRoIAlign";
  const Pyramid<D> pyr = make_pyramid<D>(op, maps, shapes, p.spatial_scales);
  const int64_t total = r.count * shapes[0].c * p.output_height * p.output_width;
  if (total == 0) return;
  const auto* rd = reinterpret_cast<const D*>(r.rois);
  auto* yd = reinterpret_cast<D*>(y);
  const LevelParams lp{p.output_height, p.output_width, p.sampling_ratio, p.aligned, p.levels};
  auto st = static_cast<cudaStream_t>(stream);
  const unsigned grid = grid_for(total);
  switch (p.mode) {
    case AlignMode::kAvg:
      multi_scale_kernel<0><<<grid, kThreads, 0, st>>>(pyr, rd, r.count, r.cols, r.batch_indices, lp, yd);
      break;
    case AlignMode::kMax:
      multi_scale_kernel<1><<<grid, kThreads, 0, st>>>(pyr, rd, r.count, r.cols, r.batch_indices, lp, yd);
      break;
    case AlignMode::kOnnxMax:
      multi_scale_kernel<2><<<grid, kThreads, 0, st>>>(pyr, rd, r.count, r.cols, r.batch_indices, lp, yd);
      break;
  }
  check_launch(op);
}

#define ROI_OPS_INSTANTIATE(T)                                                                                     \
  template void roi_align<T>(const T*, const math::MapShape&, const math::RoiSet<T>&, const math::AlignParams&, T*,   \
                             Stream);                                                                            \
  template void ps_roi_align<T>(const T*, const math::MapShape&, const math::RoiSet<T>&, const math::AlignParams&, T*, \
                                Stream);                                                                         \
  template void multi_scale_roi_align<T>(const std::vector<const T*>&, const std::vector<math::MapShape>&,          \
                                         const math::RoiSet<T>&, const math::MultiScaleParams&, T*, Stream);
ROI_OPS_INSTANTIATE(float)
ROI_OPS_INSTANTIATE(double)
ROI_OPS_INSTANTIATE(math::Half)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cuda
