// Reading one RoI from either layout of docs/spec.md ("Common rules"):
//   rois [K,4] = (x1, y1, x2, y2) with batch_indices [K] (int64), or
//   rois [K,5] = (batch_index, x1, y1, x2, y2) with no batch_indices.
// The batch index itself is validated before any kernel runs (ort/validation.cc); here it is read.
#pragma once

#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace roi_ops::math {

template <typename R>
struct Box {
  int64_t batch;
  R x1, y1, x2, y2;
};

// The coordinates of RoI k with `batch` as its batch index (read by the caller). `cols` is 4
// or 5; `to_r` converts the stored scalar (float, double or half) to R.
template <typename R, typename T, typename ToR>
ROI_OPS_HD Box<R> read_box_coords(const T* rois, int64_t cols, int64_t k, int64_t batch, ToR to_r) {
  const T* r = rois + k * cols + (cols == 5 ? 1 : 0);
  Box<R> b;
  b.batch = batch;
  b.x1 = to_r(r[0]);
  b.y1 = to_r(r[1]);
  b.x2 = to_r(r[2]);
  b.y2 = to_r(r[3]);
  return b;
}

// RoI k with its batch index, which must have been validated to be an exact integer in [0, N)
// (the host does it before the CPU kernels run), so the conversion is exact.
template <typename R, typename T, typename ToR>
ROI_OPS_HD Box<R> read_box(const T* rois, int64_t cols, const int64_t* batch_indices, int64_t k, ToR to_r) {
  const int64_t batch = cols == 5 ? static_cast<int64_t>(to_r(rois[k * cols])) : batch_indices[k];
  return read_box_coords<R>(rois, cols, k, batch, to_r);
}

// docs/spec.md: a RoI with a NaN or infinite coordinate yields a NaN output block, and no
// non-finite value may reach a float-to-integer conversion.
template <typename R>
ROI_OPS_HD bool box_is_finite(const Box<R>& b) {
  return isfinite(b.x1) && isfinite(b.y1) && isfinite(b.x2) && isfinite(b.y2);
}

}  // namespace roi_ops::math
