// RoIAlignRotated over RoIs that are already read: the core that RoIAlignRotated runs once and
// MultiScaleRoIAlignRotated once per feature map.
#pragma once

#include <cstdint>
#include <vector>

#include "../math/roi_align_rotated.h"
#include "parallel.h"
#include "shapes.h"

namespace roi_ops::cpu {

// Writes Y[k] for every RoI with batch[k] >= 0 and leaves the others untouched. T is float,
// double or Half.
template <typename T>
void align_rotated_boxes(const T* x, const MapShape& shape, const std::vector<math::RotatedBox<double>>& boxes,
                         const std::vector<int64_t>& batch, const RotatedParams& params, T* y,
                         const ParallelFor& parallel_for);

}  // namespace roi_ops::cpu
