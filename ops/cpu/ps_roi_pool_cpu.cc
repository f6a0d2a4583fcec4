// PSRoIPool on the CPU (docs/spec.md, "PSRoIAlign, PSRoIPool"): the mean over each bin's window, run
// per bin on the strided channel gather of for_each_ps_block.
#include <cstdint>
#include <vector>

#include "../math/ps_roi.h"
#include "../math/rois.h"
#include "channel_blocks.h"
#include "isa.h"
#include "lanes.h"
#include "roi_driver.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

// The cells bin (ph, pw) of a RoI averages.
Window ps_pool_bin_window(const math::Box<double>& box, const PoolParams& p, int64_t ph, int64_t pw,
                          const MapShape& s) {
  const auto ay = math::ps_pool_axis(box.y1, box.y2, p.spatial_scale, p.output_height);
  const auto ax = math::ps_pool_axis(box.x1, box.x2, p.spatial_scale, p.output_width);
  Window w;
  math::ps_pool_window(ay, ph, s.h, &w.y0, &w.y1);
  math::ps_pool_window(ax, pw, s.w, &w.x0, &w.x1);
  return w;
}

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void ps_pool_bin_impl(const A* plane, const MapShape& s, const math::Box<double>& box,
                                            const PoolParams& p, int64_t ph, int64_t pw, A* out) {
  constexpr int kB = block_channels<A>();
  const Window win = ps_pool_bin_window(box, p, ph, pw, s);
  V acc{};
  if (win.area() > 0) {  // an empty window is 0
    for (int64_t h = win.y0; h < win.y1; ++h) {
      const A* row = plane + h * s.w * kB;
      for (int64_t w = win.x0; w < win.x1; ++w) acc += V::load(row + w * kB);
    }
    acc /= static_cast<A>(win.area());
  }
  store_lanes(out, acc);
}

ROI_OPS_ISA_CLONES void ps_pool_bin(const float* plane, const MapShape& s, const math::Box<double>& box,
                                    const PoolParams& p, int64_t ph, int64_t pw, float* out) {
  if (wide_lanes()) return ps_pool_bin_impl<Lanes<float>>(plane, s, box, p, ph, pw, out);
  ps_pool_bin_impl<Quarters<float>>(plane, s, box, p, ph, pw, out);
}

ROI_OPS_ISA_CLONES void ps_pool_bin(const double* plane, const MapShape& s, const math::Box<double>& box,
                                    const PoolParams& p, int64_t ph, int64_t pw, double* out) {
  if (wide_lanes()) return ps_pool_bin_impl<Lanes<double>>(plane, s, box, p, ph, pw, out);
  ps_pool_bin_impl<Quarters<double>>(plane, s, box, p, ph, pw, out);
}

}  // namespace

template <typename T>
void ps_roi_pool(const T* x, const MapShape& shape, const RoiSet<T>& rois, const PoolParams& params, T* y,
                 const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t ow = params.output_width, bins = params.output_height * ow;
  const int64_t out_channels = shape.c / bins;  // divisibility is validated by the glue
  if (rois.count == 0 || out_channels == 0) return;
  std::vector<math::Box<double>> boxes;
  std::vector<int64_t> batch;
  read_boxes(rois, out_channels * bins, y, boxes, batch);
  for_each_ps_block(x, shape, out_channels, bins, batch, y, parallel_for,
                    [&](const A* plane, int64_t k, int64_t b, A* lanes) {
                      ps_pool_bin(plane, shape, boxes[k], params, b / ow, b % ow, lanes);
                    },
                    [&](int64_t k, int64_t b) { return ps_pool_bin_window(boxes[k], params, b / ow, b % ow, shape); });
}

template void ps_roi_pool<float>(const float*, const MapShape&, const RoiSet<float>&, const PoolParams&, float*,
                                 const ParallelFor&);
template void ps_roi_pool<double>(const double*, const MapShape&, const RoiSet<double>&, const PoolParams&, double*,
                                  const ParallelFor&);
template void ps_roi_pool<Half>(const Half*, const MapShape&, const RoiSet<Half>&, const PoolParams&, Half*,
                                const ParallelFor&);

}  // namespace roi_ops::cpu
