// RoIAlign over RoIs that are already read: the core that RoIAlign runs once and
// MultiScaleRoIAlign once per feature map.
#pragma once

#include <cstdint>
#include <vector>

#include "../math/rois.h"
#include "parallel.h"
#include "shapes.h"

namespace roi_ops::cpu {

// Writes Y[k] for every RoI with batch[k] >= 0 and leaves the others untouched. T is float,
// double or Half.
template <typename T>
void align_boxes(const T* x, const MapShape& shape, const std::vector<math::Box<double>>& boxes,
                 const std::vector<int64_t>& batch, const AlignParams& params, T* y, const ParallelFor& parallel_for);

}  // namespace roi_ops::cpu
