#include "channel_blocks.h"

#include <algorithm>

namespace roi_ops::cpu {
namespace {

template <typename S, typename A, typename LoadRow>
void stage(const S* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count, A* dst,
           LoadRow load_row) {
  constexpr int kB = block_channels<A>();
  const int64_t hw = s.h * s.w;
  if (hw == 0) return;
  // One image row at a time: `count` channel rows in, one row of [W, kB] out.
  thread_local std::vector<A> rows;
  rows.resize(static_cast<std::size_t>(kB * s.w));
  for (int64_t h = 0; h < s.h; ++h) {
    for (int64_t j = 0; j < count; ++j)
      load_row(src + ((n * s.c + c0 + j * stride) * s.h + h) * s.w, rows.data() + j * s.w, s.w);
    A* out = dst + h * s.w * kB;
    for (int64_t w = 0; w < s.w; ++w) {
      A* o = out + w * kB;
      for (int64_t j = 0; j < count; ++j) o[j] = rows[j * s.w + w];
      for (int64_t j = count; j < kB; ++j) o[j] = A(0);
    }
  }
}

// Same-type staging interleaves straight from the `count` source planes: one pass, `count`
// sequential read streams, one sequential write stream.
template <typename A>
void stage_direct(const A* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count, A* dst) {
  constexpr int kB = block_channels<A>();
  const int64_t hw = s.h * s.w;
  const A* planes[kB];
  for (int64_t j = 0; j < kB; ++j) planes[j] = src + (n * s.c + c0 + std::min(j, count - 1) * stride) * hw;
  if (count == kB) {
    for (int64_t i = 0; i < hw; ++i)
      for (int j = 0; j < kB; ++j) dst[i * kB + j] = planes[j][i];
    return;
  }
  for (int64_t i = 0; i < hw; ++i)
    for (int j = 0; j < kB; ++j) dst[i * kB + j] = j < count ? planes[j][i] : A(0);
}

}  // namespace

void stage_channel_block(const float* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         float* dst) {
  stage_direct(src, s, n, c0, stride, count, dst);
}

void stage_channel_block(const double* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         double* dst) {
  stage_direct(src, s, n, c0, stride, count, dst);
}

void stage_channel_block(const Half* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         float* dst) {
  stage(src, s, n, c0, stride, count, dst, [](const Half* in, float* out, int64_t len) {
    halves_to_floats(in, out, static_cast<std::size_t>(len));
  });
}

}  // namespace roi_ops::cpu
