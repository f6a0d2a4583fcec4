// MultiScaleRoIAlign on the CPU (docs/spec.md, "MultiScaleRoIAlign"): each RoI's FPN level is
// assigned once, then RoIAlign runs once per feature map over that level's RoIs, writing each
// result straight into its input position (no select / scatter copies).
#include <cstdint>
#include <vector>

#include "../math/fpn_levels.h"
#include "../math/rois.h"
#include "align_boxes.h"
#include "roi_driver.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {

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
    const auto& b = boxes[k];
    if (batch[k] >= 0) level[k] = math::fpn_level(b.x1, b.y1, b.x2, b.y2, params.levels);
  }
  std::vector<int64_t> level_batch(boxes.size());
  for (std::size_t l = 0; l < maps.size(); ++l) {
    bool any = false;
    for (std::size_t k = 0; k < boxes.size(); ++k) {
      const bool here = level[k] == static_cast<int64_t>(l);
      level_batch[k] = here ? batch[k] : -1;
      any = any || here;
    }
    if (!any) continue;
    AlignParams p;
    p.output_height = params.output_height;
    p.output_width = params.output_width;
    p.spatial_scale = params.spatial_scales[l];
    p.sampling_ratio = params.sampling_ratio;
    p.aligned = params.aligned;
    align_boxes(maps[l], shapes[l], boxes, level_batch, p, y, parallel_for);
  }
}

#define ROI_OPS_INSTANTIATE(T)                                                                               \
  template void multi_scale_roi_align<T>(const std::vector<const T*>&, const std::vector<MapShape>&,         \
                                         const RoiSet<T>&, const MultiScaleParams&, T*, const ParallelFor&);
ROI_OPS_INSTANTIATE(float)
ROI_OPS_INSTANTIATE(double)
ROI_OPS_INSTANTIATE(Half)
#undef ROI_OPS_INSTANTIATE

}  // namespace roi_ops::cpu
