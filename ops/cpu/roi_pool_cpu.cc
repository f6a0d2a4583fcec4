// RoIPool on the CPU (SPEC.md, "RoIPool"): max over each bin's window of the channels-last map,
// a block of channels at a time so the running maxima stay in vector registers.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "../math/roi_pool.h"
#include "../math/rois.h"
#include "channels_last.h"
#include "isa.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

template <typename A, int kBlock>
ROI_OPS_ALWAYS_INLINE void window_max(const A* map, int64_t W, int64_t C, int64_t h0, int64_t h1, int64_t w0,
                                      int64_t w1, int64_t width, A* out) {
  if (h0 >= h1 || w0 >= w1) {  // empty window
    for (int64_t c = 0; c < width; ++c) out[c] = A(0);
    return;
  }
  A acc[kBlock];
  for (int64_t c = 0; c < width; ++c) acc[c] = -std::numeric_limits<A>::infinity();
  for (int64_t h = h0; h < h1; ++h) {
    for (int64_t w = w0; w < w1; ++w) {
      const A* v = map + (h * W + w) * C;
      if (width == kBlock) {
        for (int64_t c = 0; c < kBlock; ++c) acc[c] = v[c] > acc[c] ? v[c] : acc[c];
      } else {
        for (int64_t c = 0; c < width; ++c) acc[c] = v[c] > acc[c] ? v[c] : acc[c];
      }
    }
  }
  for (int64_t c = 0; c < width; ++c) out[c] = acc[c];
}

template <typename A>
ROI_OPS_ALWAYS_INLINE void pool_roi_impl(const A* map, const MapShape& s, const math::Box<double>& box,
                                         const PoolParams& p, A* block) {
  constexpr int kBlock = 64 / static_cast<int>(sizeof(A)) * 4;
  const auto ay = math::pool_axis(box.y1, box.y2, p.spatial_scale, p.output_height, true);
  const auto ax = math::pool_axis(box.x1, box.x2, p.spatial_scale, p.output_width, true);
  const int64_t C = s.c;
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    int64_t h0, h1;
    math::pool_window(ay, ph, s.h, &h0, &h1);
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      int64_t w0, w1;
      math::pool_window(ax, pw, s.w, &w0, &w1);
      A* out = block + (ph * p.output_width + pw) * C;
      int64_t c0 = 0;
      for (; c0 + kBlock <= C; c0 += kBlock) window_max<A, kBlock>(map + c0, s.w, C, h0, h1, w0, w1, kBlock, out + c0);
      if (c0 < C) window_max<A, kBlock>(map + c0, s.w, C, h0, h1, w0, w1, C - c0, out + c0);
    }
  }
}

ROI_OPS_ISA_CLONES void pool_roi(const float* map, const MapShape& s, const math::Box<double>& box,
                                 const PoolParams& p, float* block) {
  pool_roi_impl(map, s, box, p, block);
}

ROI_OPS_ISA_CLONES void pool_roi(const double* map, const MapShape& s, const math::Box<double>& box,
                                 const PoolParams& p, double* block) {
  pool_roi_impl(map, s, box, p, block);
}

}  // namespace

template <typename T>
void roi_pool(const T* x, const MapShape& shape, const RoiSet<T>& rois, const PoolParams& params, T* y,
              Workspace& workspace, const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t bins = params.output_height * params.output_width;
  const int64_t block = shape.c * bins;
  if (rois.count == 0 || block == 0) return;
  const int64_t plane = shape.h * shape.w * shape.c;
  A* staged = workspace.allocate_array<A>(static_cast<std::size_t>(shape.n * plane));
  to_channels_last(x, shape, staged, parallel_for);

  const std::size_t tasks = static_cast<std::size_t>(std::min<int64_t>(rois.count, 64));
  parallel_for(tasks, [&](std::size_t task) {
    std::size_t k0, k1;
    task_range(static_cast<std::size_t>(rois.count), tasks, task, &k0, &k1);
    std::vector<A> out_block(static_cast<std::size_t>(block));
    std::vector<float> narrow;
    for (std::size_t k = k0; k < k1; ++k) {
      const auto box = math::read_box<double>(rois.rois, rois.cols, rois.batch_indices, static_cast<int64_t>(k),
                                              ReadAsDouble<T>{});
      T* out = y + static_cast<int64_t>(k) * block;
      if (!math::box_is_finite(box)) {
        fill_nan(out, block);
        continue;
      }
      pool_roi(staged + box.batch * plane, shape, box, params, out_block.data());
      write_block(out_block.data(), shape.c, bins, out, narrow);
    }
  });
}

template void roi_pool<float>(const float*, const MapShape&, const RoiSet<float>&, const PoolParams&, float*,
                              Workspace&, const ParallelFor&);
template void roi_pool<double>(const double*, const MapShape&, const RoiSet<double>&, const PoolParams&, double*,
                               Workspace&, const ParallelFor&);
template void roi_pool<Half>(const Half*, const MapShape&, const RoiSet<Half>&, const PoolParams&, Half*,
                             Workspace&, const ParallelFor&);

}  // namespace roi_ops::cpu
