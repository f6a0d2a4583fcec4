// CropAndResize on the CPU (docs/spec.md, "CropAndResize"): tf.image.crop_and_resize over NCHW maps.
// Each box's row and column taps are computed once per call, not once per box and channel block;
// every output pixel is then one lerp (or one copy, for "nearest") of staged channel vectors.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../math/crop_and_resize.h"
#include "../math/rois.h"
#include "channel_blocks.h"
#include "isa.h"
#include "lanes.h"
#include "roi_driver.h"
#include "roi_kernels.h"
#include "roi_output.h"

namespace roi_ops::cpu {
namespace {

using CropTap = math::CropTap<double>;

// A box's taps: crop_height row taps, then crop_width column taps.
struct BoxTaps {
  const CropTap* rows;
  const CropTap* cols;
};

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void crop_box_impl(const A* plane, const MapShape& s, BoxTaps t, const CropParams& p,
                                         A* block) {
  constexpr int kB = block_channels<A>();
  const A extrapolation = static_cast<A>(p.extrapolation_value);
  for (int64_t i = 0; i < p.crop_height; ++i) {
    const CropTap& r = t.rows[i];
    const A yl = static_cast<A>(r.frac);
    for (int64_t j = 0; j < p.crop_width; ++j) {
      const CropTap& c = t.cols[j];
      A* out = block + (i * p.crop_width + j) * kB;
      if (!r.valid || !c.valid) {
        store_lanes(out, V::splat(extrapolation));
      } else if (p.nearest) {
        store_lanes(out, V::load(plane + (r.nearest * s.w + c.nearest) * kB));
      } else {
        const A xl = static_cast<A>(c.frac);
        const V tl = V::load(plane + (r.lo * s.w + c.lo) * kB);
        const V tr = V::load(plane + (r.lo * s.w + c.hi) * kB);
        const V bl = V::load(plane + (r.hi * s.w + c.lo) * kB);
        const V br = V::load(plane + (r.hi * s.w + c.hi) * kB);
        // TensorFlow's lerp order: along x on both rows, then along y.
        const V top = tl + (tr - tl) * xl;
        const V bottom = bl + (br - bl) * xl;
        store_lanes(out, top + (bottom - top) * yl);
      }
    }
  }
}

ROI_OPS_ISA_CLONES void crop_box(const float* plane, const MapShape& s, BoxTaps t, const CropParams& p,
                                 float* block) {
  if (wide_lanes()) return crop_box_impl<Lanes<float>>(plane, s, t, p, block);
  crop_box_impl<Quarters<float>>(plane, s, t, p, block);
}

ROI_OPS_ISA_CLONES void crop_box(const double* plane, const MapShape& s, BoxTaps t, const CropParams& p,
                                 double* block) {
  if (wide_lanes()) return crop_box_impl<Lanes<double>>(plane, s, t, p, block);
  crop_box_impl<Quarters<double>>(plane, s, t, p, block);
}

// Fills `taps` (crop_height + crop_width of them) for box b.
void box_taps(const math::Box<double>& b, const CropParams& p, const MapShape& s, CropTap* taps) {
  for (int64_t i = 0; i < p.crop_height; ++i)
    taps[i] = math::crop_tap(math::crop_position(b.y1, b.y2, s.h, p.crop_height, i), s.h);
  for (int64_t j = 0; j < p.crop_width; ++j)
    taps[p.crop_height + j] = math::crop_tap(math::crop_position(b.x1, b.x2, s.w, p.crop_width, j), s.w);
}

// The rows a crop reads (appended to `rows`), from its row taps.
void add_crop_rows(const CropTap* row_taps, const CropParams& p, ReadLists& rows) {
  thread_local std::vector<int64_t> r;
  r.clear();
  for (int64_t i = 0; i < p.crop_height; ++i) {
    const CropTap& t = row_taps[i];
    if (!t.valid) continue;
    if (p.nearest) {
      r.push_back(t.nearest);
    } else {
      r.push_back(t.lo);
      r.push_back(t.hi);
    }
  }
  rows.add(r);
}

// The cells a crop reads: its first and last sample rows and columns bound all of them.
Window crop_window(const math::Box<double>& b, const CropParams& p, const MapShape& s) {
  const double y0 = math::crop_position(b.y1, b.y2, s.h, p.crop_height, 0);
  const double y1 = math::crop_position(b.y1, b.y2, s.h, p.crop_height, p.crop_height - 1);
  const double x0 = math::crop_position(b.x1, b.x2, s.w, p.crop_width, 0);
  const double x1 = math::crop_position(b.x1, b.x2, s.w, p.crop_width, p.crop_width - 1);
  return Window::covering(std::min(y0, y1), std::max(y0, y1), std::min(x0, x1), std::max(x0, x1), s);
}

}  // namespace

template <typename T>
void crop_and_resize(const T* x, const MapShape& shape, const T* boxes, const int64_t* box_indices, int64_t count,
                     const CropParams& params, T* y, const ParallelFor& parallel_for) {
  using A = compute_t<T>;
  const int64_t bins = params.crop_height * params.crop_width;
  const int64_t roi_block = shape.c * bins;
  if (count == 0 || roi_block == 0) return;
  const int64_t taps_per_box = params.crop_height + params.crop_width;
  std::vector<CropTap> taps(static_cast<std::size_t>(count * taps_per_box));
  std::vector<int64_t> batch(static_cast<std::size_t>(count));
  std::vector<Window> windows(batch.size());
  ReadLists rows;
  for (int64_t k = 0; k < count; ++k) {
    const T* r = boxes + 4 * k;  // (y1, x1, y2, x2), normalised
    const math::Box<double> b{box_indices[k], to_double(r[1]), to_double(r[0]), to_double(r[3]), to_double(r[2])};
    batch[k] = box_indices[k];
    CropTap* t = taps.data() + k * taps_per_box;
    if (!math::box_is_finite(b)) {  // docs/spec.md, "Common rules": a NaN block
      fill_nan(y + k * roi_block, roi_block);
      batch[k] = -1;
      std::vector<int64_t> none;
      rows.add(none);
    } else {
      windows[k] = crop_window(b, params, shape);
      box_taps(b, params, shape, t);
      add_crop_rows(t, params, rows);
    }
  }
  for_each_roi_block(
      x, shape, batch, bins, y, parallel_for,
      [&](const A* plane, int64_t k, A* block) {
        const CropTap* t = taps.data() + k * taps_per_box;
        crop_box(plane, shape, BoxTaps{t, t + params.crop_height}, params, block);
      },
      windows, rows);
}

template void crop_and_resize<float>(const float*, const MapShape&, const float*, const int64_t*, int64_t,
                                     const CropParams&, float*, const ParallelFor&);
template void crop_and_resize<double>(const double*, const MapShape&, const double*, const int64_t*, int64_t,
                                      const CropParams&, double*, const ParallelFor&);
template void crop_and_resize<Half>(const Half*, const MapShape&, const Half*, const int64_t*, int64_t,
                                    const CropParams&, Half*, const ParallelFor&);

}  // namespace roi_ops::cpu
