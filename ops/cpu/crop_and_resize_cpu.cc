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

// A box's tap on one axis as crop_box reads the staged plane: lo and hi are the offsets of its
// cells (a column kB elements, a row s.w * kB), lo the nearest cell's for "nearest", and frac is
// in the compute type. From these compact taps, built once per call, a pixel is its four loads,
// the lerps and a store; from CropTap it also reloaded the row's tap, converted the fractions
// and tested `nearest`, and fewer pixels' loads were in flight at once (C1 1.13-1.26x over four
// paired runs, both load orders; W6 CropAndResize 1.05x).
template <typename A>
struct PlaneTap {
  int64_t lo = 0, hi = 0;
  A frac = 0;
  bool valid = false;
};

template <typename A>
PlaneTap<A> plane_tap(const CropTap& t, int64_t scale, bool nearest) {
  if (!t.valid) return {};
  return {(nearest ? t.nearest : t.lo) * scale, t.hi * scale, static_cast<A>(t.frac), true};
}

// A box's taps: crop_height row taps, then crop_width column taps.
template <typename A>
struct BoxTaps {
  const PlaneTap<A>* rows;
  const PlaneTap<A>* cols;
};

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void crop_box_impl(const A* plane, BoxTaps<A> t, const CropParams& p, A* block) {
  constexpr int kB = block_channels<A>();
  const V extrapolation = V::splat(static_cast<A>(p.extrapolation_value));
  const int64_t height = p.crop_height, width = p.crop_width;
  A* out = block;
  for (int64_t i = 0; i < height; ++i) {
    const PlaneTap<A> r = t.rows[i];
    if (!r.valid) {
      for (int64_t j = 0; j < width; ++j, out += kB) store_lanes(out, extrapolation);
      continue;
    }
    const A* top = plane + r.lo;
    const A* bottom = plane + r.hi;
    if (p.nearest) {
      for (int64_t j = 0; j < width; ++j, out += kB) {
        const PlaneTap<A> c = t.cols[j];
        store_lanes(out, c.valid ? V::load(top + c.lo) : extrapolation);
      }
      continue;
    }
    for (int64_t j = 0; j < width; ++j, out += kB) {
      const PlaneTap<A> c = t.cols[j];
      if (!c.valid) {
        store_lanes(out, extrapolation);
        continue;
      }
      const V tl = V::load(top + c.lo), tr = V::load(top + c.hi);
      const V bl = V::load(bottom + c.lo), br = V::load(bottom + c.hi);
      // TensorFlow's lerp order: along x on both rows, then along y.
      const V upper = tl + (tr - tl) * c.frac;
      const V lower = bl + (br - bl) * c.frac;
      store_lanes(out, upper + (lower - upper) * r.frac);
    }
  }
}

#ifdef ROI_OPS_HAVE_AVX512_PATH
// In zmm registers (lanes.h, Line): C1 1.04-1.14x over Lanes' pairs of ymm, four paired runs.
ROI_OPS_AVX512 void crop_box_avx512(const float* plane, BoxTaps<float> t, const CropParams& p, float* block) {
  crop_box_impl<Line<float>>(plane, t, p, block);
}
#endif

ROI_OPS_ISA_CLONES void crop_box(const float* plane, BoxTaps<float> t, const CropParams& p, float* block) {
#ifdef ROI_OPS_HAVE_AVX512_PATH
  if (cpu_has_avx512()) return crop_box_avx512(plane, t, p, block);
#endif
  if (wide_lanes()) return crop_box_impl<Lanes<float>>(plane, t, p, block);
  crop_box_impl<Quarters<float>>(plane, t, p, block);
}

ROI_OPS_ISA_CLONES void crop_box(const double* plane, BoxTaps<double> t, const CropParams& p, double* block) {
  if (wide_lanes()) return crop_box_impl<Lanes<double>>(plane, t, p, block);
  crop_box_impl<Quarters<double>>(plane, t, p, block);
}

// Fills `taps` (crop_height + crop_width of them) for box b, and `plane_taps` with the same taps
// as crop_box reads them.
template <typename A>
void box_taps(const math::Box<double>& b, const CropParams& p, const MapShape& s, CropTap* taps,
              PlaneTap<A>* plane_taps) {
  constexpr int64_t kB = block_channels<A>();
  for (int64_t i = 0; i < p.crop_height; ++i) {
    taps[i] = math::crop_tap(math::crop_position(b.y1, b.y2, s.h, p.crop_height, i), s.h);
    plane_taps[i] = plane_tap<A>(taps[i], s.w * kB, p.nearest);
  }
  for (int64_t j = p.crop_height; j < p.crop_height + p.crop_width; ++j) {
    taps[j] = math::crop_tap(math::crop_position(b.x1, b.x2, s.w, p.crop_width, j - p.crop_height), s.w);
    plane_taps[j] = plane_tap<A>(taps[j], kB, p.nearest);
  }
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
  std::vector<PlaneTap<A>> plane_taps(taps.size());
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
      box_taps(b, params, shape, t, plane_taps.data() + k * taps_per_box);
      add_crop_rows(t, params, rows);
    }
  }
  for_each_roi_block(
      x, shape, batch, bins, y, parallel_for,
      [&](const A* plane, int64_t k, A* block) {
        const PlaneTap<A>* t = plane_taps.data() + k * taps_per_box;
        crop_box(plane, BoxTaps<A>{t, t + params.crop_height}, params, block);
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
