// RoIPool and PSRoIPool on CUDA: one thread per output element, window bounds from the shared
// math (math/roi_pool.h, math/ps_roi.h), a max (RoIPool) or a mean (PSRoIPool) over the window.
#include <cuda_fp16.h>

#include "../math/ps_roi.h"
#include "../math/roi_pool.h"
#include "../math/rois.h"
#include "device_common.cuh"
#include "launch.h"
#include "launch_check.h"
#include "storage.cuh"

namespace roi_ops::cuda {
namespace {

template <bool kPs, typename T>
__global__ void pool_kernel(const T* x, math::MapShape s, const T* rois, int64_t count, int64_t cols,
                            const int64_t* bi, int64_t out_c, math::PoolParams p, T* y) {
  using A = acc_t<T>;
  const int64_t oh = p.output_height, ow = p.output_width;
  for_each_output(count, out_c, oh, ow, [&](int64_t i, const OutIndex& o) {
    // Geometry in double, as on the CPU: the rounding of coord * scale decides the window.
    math::Box<double> box;
    if (!read_roi(rois, cols, bi, o.k, s.n, &box)) {
      store(y + i, quiet_nan<A>());
      return;
    }
    int64_t h0, h1, w0, w1;
    int64_t c = o.c;
    if (kPs) {
      math::ps_pool_window(math::ps_pool_axis(box.y1, box.y2, p.spatial_scale, oh), o.ph, s.h, &h0, &h1);
      math::ps_pool_window(math::ps_pool_axis(box.x1, box.x2, p.spatial_scale, ow), o.pw, s.w, &w0, &w1);
      c = math::ps_input_channel(o.c, o.ph, o.pw, oh, ow);
    } else {
      math::pool_window(math::pool_axis(box.y1, box.y2, p.spatial_scale, oh, true), o.ph, s.h, &h0, &h1);
      math::pool_window(math::pool_axis(box.x1, box.x2, p.spatial_scale, ow, true), o.pw, s.w, &w0, &w1);
    }
    const T* plane = x + (box.batch * s.c + c) * s.h * s.w;
    A v = 0;  // an empty window is 0
    if (h0 < h1 && w0 < w1) {
      A acc = kPs ? A(0) : A(-INFINITY);
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) {
          const A e = load(plane + h * s.w + w);
          acc = kPs ? acc + e : (e > acc ? e : acc);
        }
      v = kPs ? acc / A((h1 - h0) * (w1 - w0)) : acc;
    }
    store(y + i, v);
  });
}

template <bool kPs, typename T>
void launch_pool(const char* op, const T* x, const math::MapShape& s, const math::RoiSet<T>& r,
                 const math::PoolParams& p, T* y, Stream stream) {
  using D = typename Storage<T>::type;
  const int64_t out_c = kPs ? s.c / (p.output_height * p.output_width) : s.c;
  const int64_t total = r.count * out_c * p.output_height * p.output_width;
  if (total == 0) return;
  pool_kernel<kPs><<<grid_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<const D*>(x), s, reinterpret_cast<const D*>(r.rois), r.count, r.cols, r.batch_indices, out_c,
      p, reinterpret_cast<D*>(y));
  check_launch(op);
}

}  // namespace

template <typename T>
void roi_pool(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const math::PoolParams& p, T* y,
              Stream stream) {
  launch_pool<false>("RoIPool", x, s, r, p, y, stream);
}

template <typename T>
void ps_roi_pool(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const math::PoolParams& p, T* y,
                 Stream stream) {
  launch_pool<true>("PSRoIPool", x, s, r, p, y, stream);
}

#define ROI_OPS_INSTANTIATE(T)                                                                                   \
  template void roi_pool<T>(const T*, const math::MapShape&, const math::RoiSet<T>&, const math::PoolParams&, T*,  \
                            Stream);                                                                           \
  template void ps_roi_pool<T>(const T*, const math::MapShape&, const math::RoiSet<T>&, const math::PoolParams&, T*, \
                               Stream);
ROI_OPS_INSTANTIATE(float)
ROI_OPS_INSTANTIATE(double)
ROI_OPS_INSTANTIATE(math::Half)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cuda
