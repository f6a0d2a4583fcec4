// PSRoIAlign on the CPU (docs/spec.md, "PSRoIAlign, PSRoIPool"): RoIAlign's taps and bin kernel
// (align_bins.h), run per bin on the strided channel gather of for_each_ps_block.
#include <cstdint>
#include <utility>
#include <vector>

#include "../math/ps_roi.h"
#include "../math/rois.h"
#include "align_bins.h"
#include "lanes.h"
#include "isa.h"
#include "roi_driver.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

constexpr int kAvg = static_cast<int>(math::AlignMode::kAvg);

ROI_OPS_ISA_CLONES void ps_align_bin(const float* plane, const AlignTables<float>& t, int64_t k, int64_t ph,
                                     int64_t pw, int64_t oh, int64_t ow, float* out) {
  if (wide_lanes()) return align_table_bin<Lanes<float>, kAvg>(plane, t, k, ph, pw, oh, ow, out);
  align_table_bin<Quarters<float>, kAvg>(plane, t, k, ph, pw, oh, ow, out);
}

ROI_OPS_ISA_CLONES void ps_align_bin(const double* plane, const AlignTables<double>& t, int64_t k, int64_t ph,
                                     int64_t pw, int64_t oh, int64_t ow, double* out) {
  if (wide_lanes()) return align_table_bin<Lanes<double>, kAvg>(plane, t, k, ph, pw, oh, ow, out);
  align_table_bin<Quarters<double>, kAvg>(plane, t, k, ph, pw, oh, ow, out);
}

}  // namespace

template <typename T>
void ps_roi_align(const T* x, const MapShape& shape, const RoiSet<T>& rois, const AlignParams& params, T* y,
                  const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t oh = params.output_height, ow = params.output_width, bins = oh * ow;
  const int64_t out_channels = shape.c / bins;  // divisibility is validated by the glue
  if (rois.count == 0 || out_channels == 0) return;
  std::vector<math::Box<double>> boxes;
  std::vector<int64_t> batch;
  read_boxes(rois, out_channels * bins, y, boxes, batch);
  AlignTables<A> tables;
  build_tables(boxes, batch, shape, oh, ow,
               [&](const math::Box<double>& b) {
                 const double scale = params.spatial_scale;
                 return std::make_pair(math::ps_align_axis(b.y1, b.y2, scale, oh, params.sampling_ratio),
                                       math::ps_align_axis(b.x1, b.x2, scale, ow, params.sampling_ratio));
               },
               /*cells=*/true, tables, parallel_for);
  for_each_ps_block(x, shape, out_channels, bins, batch, y, parallel_for,
                    [&](const A* plane, int64_t k, int64_t b, A* lanes) {
                      ps_align_bin(plane, tables, k, b / ow, b % ow, oh, ow, lanes);
                    },
                    [&](int64_t k, int64_t b) { return bin_window(tables, k, b / ow, b % ow, oh, ow, shape); });
}

template void ps_roi_align<float>(const float*, const MapShape&, const RoiSet<float>&, const AlignParams&, float*,
                                  const ParallelFor&);
template void ps_roi_align<double>(const double*, const MapShape&, const RoiSet<double>&, const AlignParams&,
                                   double*, const ParallelFor&);
template void ps_roi_align<Half>(const Half*, const MapShape&, const RoiSet<Half>&, const AlignParams&, Half*,
                                 const ParallelFor&);

}  // namespace roi_ops::cpu
