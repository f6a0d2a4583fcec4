// MultiScaleRoIAlign and MultiScaleRoIAlignRotated on the CPU (docs/spec.md): each RoI's FPN level
// is assigned once, then RoIAlign (RoIAlignRotated) runs once per feature map over that level's
// RoIs, writing each result straight into its input position (no select / scatter copies).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../math/fpn_levels.h"
#include "../math/rois.h"
#include "align_boxes.h"
#include "align_rotated_boxes.h"
#include "roi_driver.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

// run(l, level_batch) for each map l that serves at least one RoI, with level_batch[k] = batch[k]
// for RoIs of level l and -1 for the others. A RoI whose level has no map (non-consecutive
// spatial_scales, docs/spec.md) gets a zero block here.
template <typename T, typename Run>
void for_each_level(const std::vector<int64_t>& level, const std::vector<int64_t>& batch, std::size_t maps,
                    int64_t roi_block, T* y, Run run) {
  std::vector<int64_t> level_batch(level.size());
  for (std::size_t k = 0; k < level.size(); ++k)
    if (batch[k] >= 0 && level[k] >= static_cast<int64_t>(maps)) std::fill_n(y + k * roi_block, roi_block, T{});
  for (std::size_t l = 0; l < maps; ++l) {
    bool any = false;
    for (std::size_t k = 0; k < level.size(); ++k) {
      const bool here = level[k] == static_cast<int64_t>(l);
      level_batch[k] = here ? batch[k] : -1;
      any = any || here;
    }
    if (any) run(l, level_batch);
  }
}

}  // namespace

template <typename T>
void multi_scale_roi_align(const std::vector<const T*>& maps, const std::vector<MapShape>& shapes,
                           const RoiSet<T>& rois, const MultiScaleParams& params, T* y,
                           const ParallelFor& parallel_for) {
  const int64_t roi_block = shapes[0].c * params.output_height * params.output_width;
  if (rois.count == 0 || roi_block == 0) return;
  std::vector<math::Box<double>> boxes;
  std::vector<int64_t> batch;
  read_boxes(rois, roi_block, y, boxes, batch);
  std::vector<int64_t> level(boxes.size(), -1);
  for (std::size_t k = 0; k < boxes.size(); ++k) {
    if (batch[k] < 0) continue;
    auto& b = boxes[k];
    level[k] = math::fpn_level(b.x1, b.y1, b.x2, b.y2, params.levels);
    // The level comes from the box as given; the pooled box is then rescaled.
    math::scale_about_centre(&b.x1, &b.x2, params.levels.roi_scale_factor);
    math::scale_about_centre(&b.y1, &b.y2, params.levels.roi_scale_factor);
  }
  for_each_level(level, batch, maps.size(), roi_block, y, [&](std::size_t l, const std::vector<int64_t>& level_batch) {
    AlignParams p;
    p.output_height = params.output_height;
    p.output_width = params.output_width;
    p.spatial_scale = params.spatial_scales[l];
    p.sampling_ratio = params.sampling_ratio;
    p.mode = params.mode;
    p.aligned = params.aligned;
    align_boxes(maps[l], shapes[l], boxes, level_batch, p, y, parallel_for);
  });
}

template <typename T>
void multi_scale_roi_align_rotated(const std::vector<const T*>& maps, const std::vector<MapShape>& shapes,
                                   const RoiSet<T>& rois, const MultiScaleRotatedParams& params, T* y,
                                   const ParallelFor& parallel_for) {
  const int64_t roi_block = shapes[0].c * params.output_height * params.output_width;
  if (rois.count == 0 || roi_block == 0) return;
  std::vector<math::RotatedBox<double>> boxes;
  std::vector<int64_t> batch;
  read_rotated_boxes(rois, roi_block, y, boxes, batch);
  std::vector<int64_t> level(boxes.size(), -1);
  for (std::size_t k = 0; k < boxes.size(); ++k) {
    if (batch[k] < 0) continue;
    auto& b = boxes[k];
    level[k] = math::fpn_level_of_area(b.w * b.h, params.levels);
    b.w *= params.levels.roi_scale_factor;
    b.h *= params.levels.roi_scale_factor;
  }
  for_each_level(level, batch, maps.size(), roi_block, y, [&](std::size_t l, const std::vector<int64_t>& level_batch) {
    RotatedParams p;
    p.output_height = params.output_height;
    p.output_width = params.output_width;
    p.spatial_scale = params.spatial_scales[l];
    p.sampling_ratio = params.sampling_ratio;
    p.options = params.options;
    align_rotated_boxes(maps[l], shapes[l], boxes, level_batch, p, y, parallel_for);
  });
}

#define ROI_OPS_INSTANTIATE(T)                                                                               \
  template void multi_scale_roi_align<T>(const std::vector<const T*>&, const std::vector<MapShape>&,         \
                                         const RoiSet<T>&, const MultiScaleParams&, T*, const ParallelFor&); \
  template void multi_scale_roi_align_rotated<T>(const std::vector<const T*>&, const std::vector<MapShape>&,       \
                                                 const RoiSet<T>&, const MultiScaleRotatedParams&, T*,               \
                                                 const ParallelFor&);
ROI_OPS_INSTANTIATE(float)
ROI_OPS_INSTANTIATE(double)
ROI_OPS_INSTANTIATE(Half)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cpu
