// The shapes and attribute structs every kernel takes, on every device: the CPU kernels, the
// CUDA launchers (cuda/launch.h), the onnxruntime glue that fills them (ort/op_params.h) and the
// test harnesses. Plain data; no onnxruntime, no device code.
#pragma once

#include <cstdint>
#include <vector>

#include "fpn_levels.h"
#include "roi_align.h"
#include "roi_align_rotated.h"

namespace roi_ops::math {

struct MapShape {
  int64_t n = 0, c = 0, h = 0, w = 0;
};

// RoIs in either layout of docs/spec.md: `cols` 4 (with batch_indices) or 5 (without).
template <typename T>
struct RoiSet {
  const T* rois = nullptr;
  int64_t count = 0;
  int64_t cols = 5;
  const int64_t* batch_indices = nullptr;
};

struct AlignParams {
  int64_t output_height = 1;
  int64_t output_width = 1;
  double spatial_scale = 1.0;
  int64_t sampling_ratio = 0;
  AlignMode mode = AlignMode::kAvg;
  bool aligned = false;
};

struct PoolParams {
  int64_t output_height = 1;
  int64_t output_width = 1;
  double spatial_scale = 1.0;
};

struct RotatedParams {
  int64_t output_height = 1;
  int64_t output_width = 1;
  double spatial_scale = 1.0;
  int64_t sampling_ratio = 0;
  RotatedOptions options;
};

struct MultiScaleParams {
  int64_t output_height = 1;
  int64_t output_width = 1;
  int64_t sampling_ratio = 0;
  AlignMode mode = AlignMode::kAvg;
  bool aligned = false;
  std::vector<double> spatial_scales;  // one per feature map, finest first
  FpnLevels levels;
};

struct MultiScaleRotatedParams {
  int64_t output_height = 1;
  int64_t output_width = 1;
  int64_t sampling_ratio = 0;
  RotatedOptions options;
  std::vector<double> spatial_scales;  // one per feature map, finest first
  FpnLevels levels;
};

struct CropParams {
  int64_t crop_height = 1;
  int64_t crop_width = 1;
  bool nearest = false;  // method "nearest"; else "bilinear"
  double extrapolation_value = 0.0;
};

}  // namespace roi_ops::math
