// What distinguishes the single-map RoI ops to the shared op shell (roi_op.h): name, parameters,
// RoI columns, output channels and the CPU kernel.
#pragma once

#include <cstdint>
#include <utility>

#include "../cpu/roi_kernels.h"
#include "op_params.h"
#include "validation.h"

namespace roi_ops::ort {

// Ops whose output has X's channels and whose RoIs are (x1, y1, x2, y2).
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
  template <typename T>
  static void run_cpu(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const Params& p, T* y,
                      const cpu::ParallelFor& pf) {
    cpu::roi_align(x, s, r, p, y, pf);
  }
};

struct RoIPoolTraits : BoxOpTraits<math::PoolParams> {
  static constexpr const char* kName = "RoIPool";
  static Params parse(const OrtKernelInfo* info) { return parse_roi_pool(info); }
  template <typename T>
  static void run_cpu(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const Params& p, T* y,
                      const cpu::ParallelFor& pf) {
    cpu::roi_pool(x, s, r, p, y, pf);
  }
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
  template <typename T>
  static void run_cpu(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const Params& p, T* y,
                      const cpu::ParallelFor& pf) {
    cpu::ps_roi_align(x, s, r, p, y, pf);
  }
};

struct PSRoIPoolTraits : PsOpTraits<math::PoolParams> {
  static constexpr const char* kName = "PSRoIPool";
  static Params parse(const OrtKernelInfo* info) { return parse_ps_roi_pool(info); }
  template <typename T>
  static void run_cpu(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const Params& p, T* y,
                      const cpu::ParallelFor& pf) {
    cpu::ps_roi_pool(x, s, r, p, y, pf);
  }
};

// Rotated boxes are (cx, cy, w, h, angle).
struct RoIAlignRotatedTraits : BoxOpTraits<math::RotatedParams> {
  static constexpr const char* kName = "RoIAlignRotated";
  static constexpr int64_t kBoxCols = 5;
  static Params parse(const OrtKernelInfo* info) { return parse_roi_align_rotated(info); }
  template <typename T>
  static void run_cpu(const T* x, const math::MapShape& s, const math::RoiSet<T>& r, const Params& p, T* y,
                      const cpu::ParallelFor& pf) {
    cpu::roi_align_rotated(x, s, r, p, y, pf);
  }
};

}  // namespace roi_ops::ort
