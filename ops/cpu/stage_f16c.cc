#include "stage_f16c.h"

#ifdef ROI_OPS_HAVE_F16C_STAGING
#include <immintrin.h>

#include <utility>

#include "lanes.h"

namespace roi_ops::cpu {
namespace {

#define ROI_OPS_F16C __attribute__((target("avx,f16c")))

// Cells [at, at + 8) of the 16 channels.
ROI_OPS_F16C inline void eight_cells(const Half* const* in, int64_t at, float* out) {
  for (int half = 0; half < 2; ++half) {
    __m256 r[8];
    for (int j = 0; j < 8; ++j)
      r[j] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in[half * 8 + j] + at)));
    lanes_detail::transpose_from<4>(r, std::make_index_sequence<8>{});  // __m256 is a GCC vector
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
