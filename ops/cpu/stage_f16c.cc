#include "stage_f16c.h"

#ifdef ROI_OPS_HAVE_F16C_STAGING
#include <immintrin.h>

namespace roi_ops::cpu {
namespace {

#define ROI_OPS_F16C __attribute__((target("avx,f16c")))

// r[0..7]: eight channels' rows of eight cells; afterwards r[i] holds cell i's eight channels.
ROI_OPS_F16C inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// Cells [at, at + 8) of the 16 channels.
ROI_OPS_F16C inline void eight_cells(const Half* const* in, int64_t at, float* out) {
  for (int half = 0; half < 2; ++half) {
    __m256 r[8];
    for (int j = 0; j < 8; ++j)
      r[j] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in[half * 8 + j] + at)));
    transpose8(r);
    for (int i = 0; i < 8; ++i) _mm256_storeu_ps(out + (at + i) * 16 + half * 8, r[i]);
  }
}

}  // namespace

// A ragged end is the last eight cells once more (cells already written get the same values).
ROI_OPS_F16C void interleave_halves_f16c(const Half* const* in, int64_t run, float* out) {
  int64_t i = 0;
  for (; i + 8 <= run; i += 8) eight_cells(in, i, out);
  if (i < run) eight_cells(in, run - 8, out);
}

}  // namespace roi_ops::cpu

#endif
