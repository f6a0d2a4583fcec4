#include "channel_blocks.h"

#include <algorithm>

namespace roi_ops::cpu {
namespace {

template <typename S, typename A, typename LoadRow>
void stage(const S* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count, const Window& win,
           A* dst, LoadRow load_row) {
  constexpr int kB = block_channels<A>();
  const int64_t width = win.x1 - win.x0;
  if (win.area() == 0) return;
  // One image row at a time: `count` channel rows in, one row of [width, kB] out.
  thread_local std::vector<A> rows;
  rows.resize(static_cast<std::size_t>(kB * width));
  for (int64_t h = win.y0; h < win.y1; ++h) {
    for (int64_t j = 0; j < count; ++j)
      load_row(src + ((n * s.c + c0 + j * stride) * s.h + h) * s.w + win.x0, rows.data() + j * width, width);
    A* out = dst + (h * s.w + win.x0) * kB;
    for (int64_t w = 0; w < width; ++w) {
      A* o = out + w * kB;
      for (int64_t j = 0; j < count; ++j) o[j] = rows[j * width + w];
      for (int64_t j = count; j < kB; ++j) o[j] = A(0);
    }
  }
}

// Same-type staging interleaves straight from the `count` source planes: one pass, `count`
// sequential read streams, one sequential write stream per row.
template <typename A>
void stage_direct(const A* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                  const Window& win, A* dst) {
  constexpr int kB = block_channels<A>();
  if (win.area() == 0) return;
  const int64_t hw = s.h * s.w;
  const A* planes[kB];
  for (int64_t j = 0; j < kB; ++j) planes[j] = src + (n * s.c + c0 + std::min(j, count - 1) * stride) * hw;
  // The whole map is one run of cells; a window is one run per row.
  const bool whole = win.x0 == 0 && win.x1 == s.w;
  const int64_t rows = whole ? 1 : win.y1 - win.y0;
  const int64_t run = whole ? (win.y1 - win.y0) * s.w : win.x1 - win.x0;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t first = (win.y0 + r) * s.w + win.x0;
    A* out = dst + first * kB;
    if (count == kB) {
      for (int64_t i = 0; i < run; ++i)
        for (int j = 0; j < kB; ++j) out[i * kB + j] = planes[j][first + i];
    } else {
      for (int64_t i = 0; i < run; ++i)
        for (int j = 0; j < kB; ++j) out[i * kB + j] = j < count ? planes[j][first + i] : A(0);
    }
  }
}

}  // namespace

void stage_channel_block(const float* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         const Window& win, float* dst) {
  stage_direct(src, s, n, c0, stride, count, win, dst);
}

void stage_channel_block(const double* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         const Window& win, double* dst) {
  stage_direct(src, s, n, c0, stride, count, win, dst);
}

void stage_channel_block(const Half* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         const Window& win, float* dst) {
  stage(src, s, n, c0, stride, count, win, dst, [](const Half* in, float* out, int64_t len) {
    halves_to_floats(in, out, static_cast<std::size_t>(len));
  });
}

}  // namespace roi_ops::cpu
