// A C ABI over the CPU and CUDA kernels for the GPU check (gpu_check.py): no onnxruntime, just
// typed pointers. Built only by tests/gpu/CMakeLists.txt, never part of the plugin.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../ops/cpu/roi_kernels.h"
#include "../../ops/cuda/launch.h"

namespace {

using namespace roi_ops;

struct Params {  // mirrors gpu_check.py's ctypes structure
  int64_t output_height, output_width, sampling_ratio;
  double spatial_scale;
  int64_t mode, aligned, clockwise, radians, nearest;
  double extrapolation_value;
  double spatial_scales[8];
  double canonical_scale;
  int64_t canonical_level;
  double eps;
  int64_t eps_in_log;
  double roi_scale_factor;
};

math::FpnLevels fpn_levels(const Params& p, int64_t levels) {
  math::FpnLevels f;
  f.canonical_scale = p.canonical_scale;
  f.canonical_level = p.canonical_level;
  f.eps = p.eps;
  f.eps_in_log = p.eps_in_log != 0;
  f.k_min = static_cast<int64_t>(std::lround(-std::log2(p.spatial_scales[0])));
  f.k_max = static_cast<int64_t>(std::lround(-std::log2(p.spatial_scales[levels - 1])));
  f.roi_scale_factor = p.roi_scale_factor;
  return f;
}

const cpu::ParallelFor kSerial = [](std::size_t n, const cpu::TaskBody& body) {
  for (std::size_t i = 0; i < n; ++i) body(i);
};

template <typename T>
void run(const std::string& op, bool cuda, const void* const* maps, const int64_t* shapes, int64_t levels,
         const void* rois, int64_t k, int64_t cols, const void* indices, bool int32_indices, const Params& p, void* y,
         void* stream) {
  auto shape = [&](int64_t l) { return math::MapShape{shapes[4 * l], shapes[4 * l + 1], shapes[4 * l + 2], shapes[4 * l + 3]}; };
  const T* x = static_cast<const T*>(maps[0]);
  T* out = static_cast<T*>(y);
  math::RoiSet<T> set{static_cast<const T*>(rois), k, cols, static_cast<const int64_t*>(indices)};
  math::AlignParams ap;
  ap.output_height = p.output_height;
  ap.output_width = p.output_width;
  ap.sampling_ratio = p.sampling_ratio;
  ap.spatial_scale = p.spatial_scale;
  ap.mode = static_cast<math::AlignMode>(p.mode);
  ap.aligned = p.aligned != 0;
  math::PoolParams pp{p.output_height, p.output_width, p.spatial_scale};
  if (op == "RoIAlign") {
    cuda ? cuda::roi_align(x, shape(0), set, ap, out, stream) : cpu::roi_align(x, shape(0), set, ap, out, kSerial);
  } else if (op == "PSRoIAlign") {
    ap.aligned = true;
    cuda ? cuda::ps_roi_align(x, shape(0), set, ap, out, stream) : cpu::ps_roi_align(x, shape(0), set, ap, out, kSerial);
  } else if (op == "RoIPool") {
    cuda ? cuda::roi_pool(x, shape(0), set, pp, out, stream) : cpu::roi_pool(x, shape(0), set, pp, out, kSerial);
  } else if (op == "PSRoIPool") {
    cuda ? cuda::ps_roi_pool(x, shape(0), set, pp, out, stream) : cpu::ps_roi_pool(x, shape(0), set, pp, out, kSerial);
  } else if (op == "RoIAlignRotated") {
    math::RotatedParams rp;
    rp.output_height = p.output_height;
    rp.output_width = p.output_width;
    rp.sampling_ratio = p.sampling_ratio;
    rp.spatial_scale = p.spatial_scale;
    rp.options = {p.aligned != 0, p.clockwise != 0, p.radians != 0};
    cuda ? cuda::roi_align_rotated(x, shape(0), set, rp, out, stream)
         : cpu::roi_align_rotated(x, shape(0), set, rp, out, kSerial);
  } else if (op == "MultiScaleRoIAlign" || op == "MultiScaleRoIAlignRotated") {
    std::vector<const T*> ms;
    std::vector<math::MapShape> ss;
    for (int64_t l = 0; l < levels; ++l) {
      ms.push_back(static_cast<const T*>(maps[l]));
      ss.push_back(shape(l));
    }
    if (op == "MultiScaleRoIAlign") {
      math::MultiScaleParams mp;
      mp.output_height = p.output_height;
      mp.output_width = p.output_width;
      mp.sampling_ratio = p.sampling_ratio;
      mp.mode = static_cast<math::AlignMode>(p.mode);
      mp.aligned = p.aligned != 0;
      mp.spatial_scales.assign(p.spatial_scales, p.spatial_scales + levels);
      mp.levels = fpn_levels(p, levels);
      cuda ? cuda::multi_scale_roi_align(ms, ss, set, mp, out, stream)
           : cpu::multi_scale_roi_align(ms, ss, set, mp, out, kSerial);
    } else {
      math::MultiScaleRotatedParams mp;
      mp.output_height = p.output_height;
      mp.output_width = p.output_width;
      mp.sampling_ratio = p.sampling_ratio;
      mp.options = {p.aligned != 0, p.clockwise != 0, p.radians != 0};
      mp.spatial_scales.assign(p.spatial_scales, p.spatial_scales + levels);
      mp.levels = fpn_levels(p, levels);
      cuda ? cuda::multi_scale_roi_align_rotated(ms, ss, set, mp, out, stream)
           : cpu::multi_scale_roi_align_rotated(ms, ss, set, mp, out, kSerial);
    }
  } else if (op == "CropAndResize") {
    math::CropParams cp{p.output_height, p.output_width, p.nearest != 0, p.extrapolation_value};
    const T* boxes = static_cast<const T*>(rois);
    if (cuda && int32_indices)
      cuda::crop_and_resize(x, shape(0), boxes, static_cast<const int32_t*>(indices), k, cp, out, stream);
    else if (cuda)
      cuda::crop_and_resize(x, shape(0), boxes, static_cast<const int64_t*>(indices), k, cp, out, stream);
    else
      cpu::crop_and_resize(x, shape(0), boxes, static_cast<const int64_t*>(indices), k, cp, out, kSerial);
  } else {
    throw std::runtime_error("unknown op " + op);
  }
}

}  // namespace

// dtype: 0 float32, 1 float64, 2 float16. Returns 0, or 1 with a message in `error`.
extern "C" __attribute__((visibility("default"))) int roi_ops_harness_run(
    const char* op, int cuda, int dtype, const void* const* maps, const int64_t* shapes, int64_t levels,
    const void* rois, int64_t k, int64_t cols, const void* indices, int int32_indices, const Params* p, void* y,
    void* stream, char* error, int64_t error_size) {
  try {
    if (dtype == 0) run<float>(op, cuda, maps, shapes, levels, rois, k, cols, indices, int32_indices, *p, y, stream);
    else if (dtype == 1) run<double>(op, cuda, maps, shapes, levels, rois, k, cols, indices, int32_indices, *p, y, stream);
    else run<math::Half>(op, cuda, maps, shapes, levels, rois, k, cols, indices, int32_indices, *p, y, stream);
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(error, static_cast<size_t>(error_size), "%s", e.what());
    return 1;
  }
}
