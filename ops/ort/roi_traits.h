// What distinguishes RoIAlign and RoIPool to the shared op shell (roi_op.h).
#pragma once

#include <utility>

#include "../cpu/roi_kernels.h"
#include "attributes.h"

namespace roi_ops::ort {

struct RoIAlignTraits {
  static constexpr const char* kName = "RoIAlign";
  using Params = cpu::AlignParams;
  static Params parse(const OrtKernelInfo* info) { return parse_roi_align(info); }
  static std::pair<int64_t, int64_t> output_size(const Params& p) { return {p.output_height, p.output_width}; }
  template <typename T>
  static void run_cpu(const T* x, const cpu::MapShape& s, const cpu::RoiSet<T>& r, const Params& p, T* y,
                      const cpu::ParallelFor& pf) {
    cpu::roi_align(x, s, r, p, y, pf);
  }
};

struct RoIPoolTraits {
  static constexpr const char* kName = "RoIPool";
  using Params = cpu::PoolParams;
  static Params parse(const OrtKernelInfo* info) { return parse_roi_pool(info); }
  static std::pair<int64_t, int64_t> output_size(const Params& p) { return {p.output_height, p.output_width}; }
  template <typename T>
  static void run_cpu(const T* x, const cpu::MapShape& s, const cpu::RoiSet<T>& r, const Params& p, T* y,
                      const cpu::ParallelFor& pf) {
    cpu::roi_pool(x, s, r, p, y, pf);
  }
};

}  // namespace roi_ops::ort
