#include "channels_last.h"

#include <algorithm>
#include <vector>

namespace roi_ops::cpu {
namespace {

// One task per (n, h) row: read C row segments of W values, write W runs of C values.
// Channels go in blocks so the reads stay a handful of streams and the writes stay in cache.
template <typename S, typename D, typename Load>
void transpose_rows(const S* src, const MapShape& s, D* dst, const ParallelFor& pf, Load load) {
  const int64_t rows = s.n * s.h;
  if (rows == 0 || s.w == 0 || s.c == 0) return;
  constexpr int64_t kChannelBlock = 16;
  const std::size_t tasks = static_cast<std::size_t>(std::min<int64_t>(rows, 4096));
  pf(tasks, [&](std::size_t task) {
    std::size_t r0, r1;
    task_range(static_cast<std::size_t>(rows), tasks, task, &r0, &r1);
    std::vector<D> line(static_cast<std::size_t>(kChannelBlock * s.w));
    for (std::size_t r = r0; r < r1; ++r) {
      const int64_t n = static_cast<int64_t>(r) / s.h, h = static_cast<int64_t>(r) % s.h;
      const S* in = src + (n * s.c * s.h + h) * s.w;
      D* out = dst + r * s.w * s.c;
      for (int64_t c0 = 0; c0 < s.c; c0 += kChannelBlock) {
        const int64_t cb = std::min(kChannelBlock, s.c - c0);
        for (int64_t c = 0; c < cb; ++c) load(in + (c0 + c) * s.h * s.w, line.data() + c * s.w, s.w);
        for (int64_t w = 0; w < s.w; ++w) {
          D* o = out + w * s.c + c0;
          for (int64_t c = 0; c < cb; ++c) o[c] = line[c * s.w + w];
        }
      }
    }
  });
}

template <typename T>
void copy_row(const T* in, T* out, int64_t n) {
  std::copy(in, in + n, out);
}

}  // namespace

void to_channels_last(const float* src, const MapShape& s, float* dst, const ParallelFor& pf) {
  transpose_rows(src, s, dst, pf, copy_row<float>);
}

void to_channels_last(const double* src, const MapShape& s, double* dst, const ParallelFor& pf) {
  transpose_rows(src, s, dst, pf, copy_row<double>);
}

void to_channels_last(const Half* src, const MapShape& s, float* dst, const ParallelFor& pf) {
  transpose_rows(src, s, dst, pf, [](const Half* in, float* out, int64_t n) {
    halves_to_floats(in, out, static_cast<std::size_t>(n));
  });
}

}  // namespace roi_ops::cpu
