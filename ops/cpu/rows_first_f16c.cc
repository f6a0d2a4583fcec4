#include "rows_first_f16c.h"

#ifdef ROI_OPS_HAVE_F16C_ROWS
#include <immintrin.h>

#include <limits>

namespace roi_ops::cpu {
namespace {

// Eight half values of a row from column x, widened.
__attribute__((target("avx,f16c"))) inline __m256 load_halves(const Half* row, int64_t x) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x)));
}

__attribute__((target("avx2,fma,f16c"))) inline void weighted_columns(const Half* const* rows, const float* w,
                                                                       int64_t n, int64_t count, int64_t width,
                                                                       int64_t x, float* sums) {
  for (int64_t j = 0; j < count; ++j) {
    const Half* const* r = rows + j * n;
    __m256 acc = _mm256_mul_ps(_mm256_set1_ps(w[0]), load_halves(r[0], x));
    for (int64_t i = 1; i < n; ++i) acc = _mm256_fmadd_ps(_mm256_set1_ps(w[i]), load_halves(r[i], x), acc);
    _mm256_storeu_ps(sums + j * width + x, acc);
  }
}

// vmaxps(v, acc) is v > acc ? v : acc, false for NaN: NaN never wins, as in select_greater.
__attribute__((target("avx,f16c"))) inline void max_columns(const Half* const* rows, int64_t n, int64_t count,
                                                             int64_t width, int64_t x, float* reduced) {
  for (int64_t j = 0; j < count; ++j) {
    const Half* const* r = rows + j * n;
    __m256 acc = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
    for (int64_t i = 0; i < n; ++i) acc = _mm256_max_ps(load_halves(r[i], x), acc);
    _mm256_storeu_ps(reduced + j * width + x, acc);
  }
}

}  // namespace

// Both: eight columns at a time, and a ragged end as one more eight ending at the last column (it
// recomputes a few values, to the same results), as over_row in rows_first.h.
__attribute__((target("avx2,fma,f16c"))) void weighted_half_rows_f16c(const Half* const* rows, const float* w,
                                                                       int64_t n, int64_t count, int64_t width,
                                                                       float* sums) {
  int64_t x = 0;
  for (; x + 8 <= width; x += 8) weighted_columns(rows, w, n, count, width, x, sums);
  if (x < width) weighted_columns(rows, w, n, count, width, width - 8, sums);
}

__attribute__((target("avx,f16c"))) void max_half_rows_f16c(const Half* const* rows, int64_t n, int64_t count,
                                                             int64_t width, float* reduced) {
  int64_t x = 0;
  for (; x + 8 <= width; x += 8) max_columns(rows, n, count, width, x, reduced);
  if (x < width) max_columns(rows, n, count, width, width - 8, reduced);
}

}  // namespace roi_ops::cpu

#endif
