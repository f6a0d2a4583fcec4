#include "half.h"

#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define ROI_OPS_HAVE_F16C_PATH 1
#endif

namespace roi_ops::cpu {

#ifdef ROI_OPS_HAVE_F16C_PATH
bool cpu_has_f16c() {
  static const bool has = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
  return has;
}

bool cpu_has_f16c_fma() {
  static const bool has = cpu_has_f16c() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

namespace {

__attribute__((target("avx,f16c"))) void halves_to_floats_f16c(const Half* src, float* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) dst[i] = half_to_float(src[i]);
}

__attribute__((target("avx,f16c"))) void floats_to_halves_f16c(const float* src, Half* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  for (; i < n; ++i) dst[i] = float_to_half(src[i]);
}

// As floats_to_halves_f16c with non-temporal stores (16-byte aligned runs of eight halves), not
// fenced (roi_output.h, fence_stream).
__attribute__((target("avx,f16c"))) void floats_to_halves_streamed_f16c(const float* src, Half* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i < n && reinterpret_cast<std::uintptr_t>(dst + i) % 16 != 0; ++i) dst[i] = float_to_half(src[i]);
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
  for (; i < n; ++i) dst[i] = float_to_half(src[i]);
}

}  // namespace
#else
bool cpu_has_f16c() { return false; }
bool cpu_has_f16c_fma() { return false; }
#endif

void halves_to_floats(const Half* src, float* dst, std::size_t n) {
#ifdef ROI_OPS_HAVE_F16C_PATH
  if (cpu_has_f16c()) return halves_to_floats_f16c(src, dst, n);
#endif
  for (std::size_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i]);
}

void floats_to_halves(const float* src, Half* dst, std::size_t n) {
#ifdef ROI_OPS_HAVE_F16C_PATH
  if (cpu_has_f16c()) return floats_to_halves_f16c(src, dst, n);
#endif
  for (std::size_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
}

void floats_to_halves_streamed(const float* src, Half* dst, std::size_t n) {
#ifdef ROI_OPS_HAVE_F16C_PATH
  if (cpu_has_f16c()) return floats_to_halves_streamed_f16c(src, dst, n);
#endif
  floats_to_halves(src, dst, n);
}

}  // namespace roi_ops::cpu
