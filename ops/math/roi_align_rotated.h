// RoIAlignRotated geometry (docs/spec.md, "RoIAlignRotated"): a box (cx, cy, w, h, angle) whose bins
// and samples are laid out as RoIAlign's in the box's own frame, then rotated onto the map.
#pragma once

#include <cstdint>

#include "host_device.h"
#include "roi_align.h"

namespace roi_ops::math {

template <typename R>
struct RotatedBox {
  int64_t batch;
  R cx, cy, w, h, angle;
};

// rois [K,6] = (batch_index, cx, cy, w, h, angle), or [K,5] with batch_indices [K]; `batch`
// is the RoI's batch index, read and validated by the caller.
template <typename R, typename T, typename ToR>
ROI_OPS_HD RotatedBox<R> read_rotated_box_coords(const T* rois, int64_t cols, int64_t k, int64_t batch, ToR to_r) {
  const T* r = rois + k * cols + (cols == 6 ? 1 : 0);
  RotatedBox<R> b;
  b.batch = batch;
  b.cx = to_r(r[0]);
  b.cy = to_r(r[1]);
  b.w = to_r(r[2]);
  b.h = to_r(r[3]);
  b.angle = to_r(r[4]);
  return b;
}

// As above, with the batch index read from the RoI (validated on the host to be an exact
// integer in [0, N) before the CPU kernels run).
template <typename R, typename T, typename ToR>
ROI_OPS_HD RotatedBox<R> read_rotated_box(const T* rois, int64_t cols, const int64_t* batch_indices, int64_t k,
                                          ToR to_r) {
  const int64_t batch = cols == 6 ? static_cast<int64_t>(to_r(rois[k * cols])) : batch_indices[k];
  return read_rotated_box_coords<R>(rois, cols, k, batch, to_r);
}

template <typename R>
ROI_OPS_HD bool rotated_box_is_finite(const RotatedBox<R>& b) {
  return isfinite(b.cx) && isfinite(b.cy) && isfinite(b.w) && isfinite(b.h) && isfinite(b.angle);
}

struct RotatedOptions {
  bool aligned = true;     // detectron2's default
  bool clockwise = false;  // counter-clockwise angles, as detectron2
  bool radians = false;    // degrees, as detectron2; mmcv passes radians
};

// A box mapped onto the map: sample (yy, xx) of the box frame lands at
//   y = yy * cos - xx * sin + cy,  x = yy * sin + xx * cos + cx.
template <typename R>
struct RotatedGeometry {
  R cy, cx, cos_t, sin_t;
  AlignAxis<R> y, x;  // box-frame axes, starting at -h/2 and -w/2
};

template <typename R>
ROI_OPS_HD AlignAxis<R> rotated_axis(R extent, int64_t out_size, int64_t sampling_ratio) {
  AlignAxis<R> a;
  a.start = -extent / R(2);
  a.bin = extent / R(out_size);
  a.grid = sampling_ratio > 0 ? R(sampling_ratio) : ceil(extent / R(out_size));
  if (a.grid < R(0)) a.grid = R(0);  // a negative size has no samples: its bins are 0
  a.step = a.grid > R(0) ? a.bin / a.grid : R(0);
  return a;
}

template <typename R>
ROI_OPS_HD RotatedGeometry<R> rotated_geometry(const RotatedBox<R>& b, R spatial_scale, const RotatedOptions& o,
                                               int64_t out_h, int64_t out_w, int64_t sampling_ratio) {
  const R offset = o.aligned ? R(0.5) : R(0);
  R w = b.w * spatial_scale, h = b.h * spatial_scale;
  if (!o.aligned) {  // legacy minimum size of 1 feature pixel
    if (w < R(1)) w = R(1);
    if (h < R(1)) h = R(1);
  }
  R theta = o.radians ? b.angle : b.angle * R(3.14159265358979323846) / R(180);
  if (o.clockwise) theta = -theta;
  RotatedGeometry<R> g;
  g.cx = b.cx * spatial_scale - offset;
  g.cy = b.cy * spatial_scale - offset;
  g.cos_t = cos(theta);
  g.sin_t = sin(theta);
  g.y = rotated_axis(h, out_h, sampling_ratio);
  g.x = rotated_axis(w, out_w, sampling_ratio);
  return g;
}

template <typename R>
ROI_OPS_HD void rotated_point(const RotatedGeometry<R>& g, R yy, R xx, R* y, R* x) {
  *y = yy * g.cos_t - xx * g.sin_t + g.cy;
  *x = yy * g.sin_t + xx * g.cos_t + g.cx;
}

// The box-frame rectangle [yy_lo, yy_hi] x [xx_lo, xx_hi] that holds every point of the map's
// sampling area [-1, H] x [-1, W]: samples outside it are 0, so kernels skip them (see
// bin_sample_range), and a huge box costs O(map) instead of O(area).
template <typename R>
ROI_OPS_HD void rotated_map_bounds(const RotatedGeometry<R>& g, int64_t height, int64_t width, R* yy_lo, R* yy_hi,
                                   R* xx_lo, R* xx_hi) {
  const R ys[2] = {R(-1) - g.cy, R(height) - g.cy};
  const R xs[2] = {R(-1) - g.cx, R(width) - g.cx};
  bool first = true;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      // Inverse rotation of a map corner into the box frame.
      const R yy = ys[i] * g.cos_t + xs[j] * g.sin_t;
      const R xx = -ys[i] * g.sin_t + xs[j] * g.cos_t;
      if (first || yy < *yy_lo) *yy_lo = yy;
      if (first || yy > *yy_hi) *yy_hi = yy;
      if (first || xx < *xx_lo) *xx_lo = xx;
      if (first || xx > *xx_hi) *xx_hi = xx;
      first = false;
    }
  }
}

}  // namespace roi_ops::math
