// What distinguishes one op to its shell (roi_op.h, multi_scale_op.h, crop_and_resize_op.h): its
// name, parameters and parser, and the kernel it launches on each device. The devices
// (cpu_device.h, cuda_device.h) call `Traits::run_cpu` or `Traits::run_cuda`; a launcher is a
// template, so a CPU-only build never instantiates (or links) the CUDA one.
#pragma once

#include <cstdint>
#include <utility>

#include "../cpu/roi_kernels.h"
#include "../cuda/launch.h"
#include "op_params.h"
#include "validation.h"

namespace roi_ops::ort {

// Single-map ops whose output has X's channels and whose RoIs are (x1, y1, x2, y2).
template <typename P>
struct BoxOpTraits {
  using Params = P;
  static constexpr int64_t kBoxCols = 4;
  static std::pair<int64_t, int64_t> output_size(const Params& p) { return {p.output_height, p.output_width}; }
  static int64_t output_channels(const char*, const Params&, int64_t c) { return c; }
};

struct RoIAlignTraits : BoxOpTraits<math::AlignParams> {
  static constexpr const char* kName = "RoIAlign";
  static Params parse(const OrtKernelInfo* info) { return parse_roi_align(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::roi_align(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::roi_align(a...); }
};

struct RoIPoolTraits : BoxOpTraits<math::PoolParams> {
  static constexpr const char* kName = "RoIPool";
  static Params parse(const OrtKernelInfo* info) { return parse_roi_pool(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::roi_pool(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::roi_pool(a...); }
};

// Position-sensitive ops: C = C_out * output_height * output_width.
template <typename P>
struct PsOpTraits : BoxOpTraits<P> {
  static int64_t output_channels(const char* op, const P& p, int64_t c) {
    return ps_output_channels(op, c, p.output_height, p.output_width);
  }
};

struct PSRoIAlignTraits : PsOpTraits<math::AlignParams> {
  static constexpr const char* kName = "PSRoIAlign";
  static Params parse(const OrtKernelInfo* info) { return parse_ps_roi_align(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::ps_roi_align(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::ps_roi_align(a...); }
};

struct PSRoIPoolTraits : PsOpTraits<math::PoolParams> {
  static constexpr const char* kName = "PSRoIPool";
  static Params parse(const OrtKernelInfo* info) { return parse_ps_roi_pool(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::ps_roi_pool(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::ps_roi_pool(a...); }
};

// Rotated boxes are (cx, cy, w, h, angle).
struct RoIAlignRotatedTraits : BoxOpTraits<math::RotatedParams> {
  static constexpr const char* kName = "RoIAlignRotated";
  static constexpr int64_t kBoxCols = 5;
  static Params parse(const OrtKernelInfo* info) { return parse_roi_align_rotated(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::roi_align_rotated(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::roi_align_rotated(a...); }
};

// The multi-map ops (multi_scale_op.h).
struct MultiScaleRoIAlignTraits {
  using Params = math::MultiScaleParams;
  static constexpr const char* kName = "MultiScaleRoIAlign";
  static constexpr int64_t kBoxCols = 4;
  static Params parse(const OrtKernelInfo* info) { return parse_multi_scale_roi_align(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::multi_scale_roi_align(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::multi_scale_roi_align(a...); }
};

struct MultiScaleRoIAlignRotatedTraits {
  using Params = math::MultiScaleRotatedParams;
  static constexpr const char* kName = "MultiScaleRoIAlignRotated";
  static constexpr int64_t kBoxCols = 5;
  static Params parse(const OrtKernelInfo* info) { return parse_multi_scale_roi_align_rotated(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::multi_scale_roi_align_rotated(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::multi_scale_roi_align_rotated(a...); }
};

// Normalised (y1, x1, y2, x2) boxes with int32 or int64 box indices (crop_and_resize_op.h). The
// CPU kernel reads int64 indices that the shell has checked on the host; the CUDA one takes
// either type as stored on the device.
struct CropAndResizeTraits {
  using Params = math::CropParams;
  static constexpr const char* kName = "CropAndResize";
  static Params parse(const OrtKernelInfo* info) { return parse_crop_and_resize(info); }
  template <typename... A>
  static void run_cpu(A&&... a) { cpu::crop_and_resize(a...); }
  template <typename... A>
  static void run_cuda(A&&... a) { cuda::crop_and_resize(a...); }
};

}  // namespace roi_ops::ort
