// RoIAlign on the CPU (SPEC.md, "RoIAlign").
//
// The map is staged channels-last once per call. Per RoI, the y and x halves of every sample's
// bilinear tap are computed once (the weights are separable), each bin's valid samples become a
// short list of (4 offsets, 4 weights), and the list is applied to blocks of channels with the
// accumulators held in vector registers.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "../math/bilinear.h"
#include "../math/roi_align.h"
#include "../math/rois.h"
#include "channels_last.h"
#include "isa.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

using math::AlignMode;

template <typename A>
struct Sample {
  int64_t o00, o01, o10, o11;  // channels-last offsets of the four corners
  A w00, w01, w10, w11;
};

template <typename A>
struct AlignScratch {
  std::vector<math::AxisTap<double>> y_taps, x_taps;
  std::vector<int64_t> y_first, x_first;  // per bin: index of its first tap in *_taps
  std::vector<int64_t> y_count, x_count;
  std::vector<Sample<A>> samples;
  std::vector<A> block;  // [bins, C]
  std::vector<float> narrow;
};

// Taps of all bins along one axis; bins' in-map sample ranges only (math::bin_sample_range).
ROI_OPS_ALWAYS_INLINE void axis_taps(const math::AlignAxis<double>& a, int64_t bins, int64_t size,
                                     std::vector<math::AxisTap<double>>& taps, std::vector<int64_t>& first,
                                     std::vector<int64_t>& count) {
  taps.clear();
  first.resize(static_cast<std::size_t>(bins));
  count.resize(static_cast<std::size_t>(bins));
  for (int64_t p = 0; p < bins; ++p) {
    int64_t i0, i1;
    math::bin_sample_range(a, p, size, &i0, &i1);
    first[p] = static_cast<int64_t>(taps.size());
    count[p] = i1 - i0;
    for (int64_t i = i0; i < i1; ++i) taps.push_back(math::axis_tap(math::sample_position(a, p, i), size));
  }
}

template <typename A, int kMode>
ROI_OPS_ALWAYS_INLINE A combine(A acc, const Sample<A>& s, const A* p00, const A* p01, const A* p10, const A* p11,
                                int64_t c) {
  if constexpr (kMode == static_cast<int>(AlignMode::kAvg)) {
    return acc + (s.w00 * p00[c] + s.w01 * p01[c] + s.w10 * p10[c] + s.w11 * p11[c]);
  } else if constexpr (kMode == static_cast<int>(AlignMode::kMax)) {
    const A v = s.w00 * p00[c] + s.w01 * p01[c] + s.w10 * p10[c] + s.w11 * p11[c];
    return v > acc ? v : acc;
  } else {
    // ONNX Runtime's max: the largest weighted corner, not the interpolated value.
    const A a = s.w00 * p00[c], b = s.w01 * p01[c], d = s.w10 * p10[c], e = s.w11 * p11[c];
    const A ab = a > b ? a : b, de = d > e ? d : e;
    const A v = ab > de ? ab : de;
    return v > acc ? v : acc;
  }
}

// Applies a bin's sample list to channels [0, width) starting at `map`; `width` is kBlock in the
// hot case (so the accumulators stay in registers) and the tail size otherwise.
template <typename A, int kMode, int kBlock>
ROI_OPS_ALWAYS_INLINE void apply_samples(const A* map, const Sample<A>* samples, std::size_t n, int64_t width,
                                         A divisor, bool some_zero, A* out) {
  A acc[kBlock];
  const A init = kMode == static_cast<int>(AlignMode::kAvg) ? A(0) : -std::numeric_limits<A>::infinity();
  for (int64_t c = 0; c < width; ++c) acc[c] = init;
  for (std::size_t i = 0; i < n; ++i) {
    const Sample<A>& s = samples[i];
    const A *p00 = map + s.o00, *p01 = map + s.o01, *p10 = map + s.o10, *p11 = map + s.o11;
    if (width == kBlock) {
      for (int64_t c = 0; c < kBlock; ++c) acc[c] = combine<A, kMode>(acc[c], s, p00, p01, p10, p11, c);
    } else {
      for (int64_t c = 0; c < width; ++c) acc[c] = combine<A, kMode>(acc[c], s, p00, p01, p10, p11, c);
    }
  }
  if constexpr (kMode == static_cast<int>(AlignMode::kAvg)) {
    for (int64_t c = 0; c < width; ++c) out[c] = acc[c] / divisor;
  } else {
    // A bin without samples is 0; samples outside the map count as 0 in the max.
    for (int64_t c = 0; c < width; ++c) out[c] = n == 0 ? A(0) : (some_zero && acc[c] < A(0) ? A(0) : acc[c]);
  }
}

template <typename A, int kMode>
ROI_OPS_ALWAYS_INLINE void align_bins(const A* map, const MapShape& s, const math::Box<double>& box,
                                      const AlignParams& p, AlignScratch<A>& sc) {
  constexpr int kBlock = 64 / static_cast<int>(sizeof(A)) * 4;  // 4 x 64-byte vectors of accumulators
  const auto ay = math::align_axis(box.y1, box.y2, p.spatial_scale, p.aligned, p.output_height, p.sampling_ratio);
  const auto ax = math::align_axis(box.x1, box.x2, p.spatial_scale, p.aligned, p.output_width, p.sampling_ratio);
  axis_taps(ay, p.output_height, s.h, sc.y_taps, sc.y_first, sc.y_count);
  axis_taps(ax, p.output_width, s.w, sc.x_taps, sc.x_first, sc.x_count);
  const double grid_samples = ay.grid * ax.grid;
  const A divisor = static_cast<A>(math::sample_count(ay, ax));
  const int64_t C = s.c;
  for (int64_t ph = 0; ph < p.output_height; ++ph) {
    for (int64_t pw = 0; pw < p.output_width; ++pw) {
      sc.samples.clear();
      for (int64_t iy = 0; iy < sc.y_count[ph]; ++iy) {
        const auto& ty = sc.y_taps[sc.y_first[ph] + iy];
        if (!ty.valid) continue;
        for (int64_t ix = 0; ix < sc.x_count[pw]; ++ix) {
          const auto& tx = sc.x_taps[sc.x_first[pw] + ix];
          if (!tx.valid) continue;
          const auto w = math::corner_weights(ty, tx);
          sc.samples.push_back({(ty.lo * s.w + tx.lo) * C, (ty.lo * s.w + tx.hi) * C, (ty.hi * s.w + tx.lo) * C,
                                (ty.hi * s.w + tx.hi) * C, static_cast<A>(w.w00), static_cast<A>(w.w01),
                                static_cast<A>(w.w10), static_cast<A>(w.w11)});
        }
      }
      const bool some_zero = static_cast<double>(sc.samples.size()) < grid_samples;
      A* out = sc.block.data() + (ph * p.output_width + pw) * C;
      int64_t c0 = 0;
      for (; c0 + kBlock <= C; c0 += kBlock)
        apply_samples<A, kMode, kBlock>(map + c0, sc.samples.data(), sc.samples.size(), kBlock, divisor, some_zero,
                                        out + c0);
      if (c0 < C)
        apply_samples<A, kMode, kBlock>(map + c0, sc.samples.data(), sc.samples.size(), C - c0, divisor, some_zero,
                                        out + c0);
    }
  }
}

template <typename A>
ROI_OPS_ALWAYS_INLINE void align_roi_impl(const A* map, const MapShape& s, const math::Box<double>& box,
                                          const AlignParams& p, AlignScratch<A>& sc) {
  switch (p.mode) {
    case AlignMode::kAvg:
      return align_bins<A, static_cast<int>(AlignMode::kAvg)>(map, s, box, p, sc);
    case AlignMode::kMax:
      return align_bins<A, static_cast<int>(AlignMode::kMax)>(map, s, box, p, sc);
    case AlignMode::kOnnxMax:
      return align_bins<A, static_cast<int>(AlignMode::kOnnxMax)>(map, s, box, p, sc);
  }
}

ROI_OPS_ISA_CLONES void align_roi(const float* map, const MapShape& s, const math::Box<double>& box,
                                  const AlignParams& p, AlignScratch<float>& sc) {
  align_roi_impl(map, s, box, p, sc);
}

ROI_OPS_ISA_CLONES void align_roi(const double* map, const MapShape& s, const math::Box<double>& box,
                                  const AlignParams& p, AlignScratch<double>& sc) {
  align_roi_impl(map, s, box, p, sc);
}

}  // namespace

template <typename T>
void roi_align(const T* x, const MapShape& shape, const RoiSet<T>& rois, const AlignParams& params, T* y,
               Workspace& workspace, const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t bins = params.output_height * params.output_width;
  const int64_t block = shape.c * bins;
  if (rois.count == 0 || block == 0) return;
  const int64_t plane = shape.h * shape.w * shape.c;
  A* staged = workspace.allocate_array<A>(static_cast<std::size_t>(shape.n * plane));
  to_channels_last(x, shape, staged, parallel_for);

  // Enough tasks to balance RoIs of very different sizes over the pool; each task reuses its
  // scratch for all of its RoIs.
  const std::size_t tasks = static_cast<std::size_t>(std::min<int64_t>(rois.count, 64));
  parallel_for(tasks, [&](std::size_t task) {
    std::size_t k0, k1;
    task_range(static_cast<std::size_t>(rois.count), tasks, task, &k0, &k1);
    AlignScratch<A> sc;
    sc.block.resize(static_cast<std::size_t>(block));
    for (std::size_t k = k0; k < k1; ++k) {
      const auto box = math::read_box<double>(rois.rois, rois.cols, rois.batch_indices, static_cast<int64_t>(k),
                                              ReadAsDouble<T>{});
      T* out = y + static_cast<int64_t>(k) * block;
      if (!math::box_is_finite(box)) {
        fill_nan(out, block);
        continue;
      }
      align_roi(staged + box.batch * plane, shape, box, params, sc);
      write_block(sc.block.data(), shape.c, bins, out, sc.narrow);
    }
  });
}

template void roi_align<float>(const float*, const MapShape&, const RoiSet<float>&, const AlignParams&, float*,
                               Workspace&, const ParallelFor&);
template void roi_align<double>(const double*, const MapShape&, const RoiSet<double>&, const AlignParams&, double*,
                                Workspace&, const ParallelFor&);
template void roi_align<Half>(const Half*, const MapShape&, const RoiSet<Half>&, const AlignParams&, Half*,
                              Workspace&, const ParallelFor&);

}  // namespace roi_ops::cpu
