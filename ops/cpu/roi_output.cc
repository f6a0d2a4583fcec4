#include "roi_output.h"

#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "channel_blocks.h"
#include "isa.h"
#include "lanes.h"

namespace roi_ops::cpu {
namespace {

// block is [bins, kB] and y is [count, bins]: kB bins at a time are one square of vectors,
// transposed in registers (lanes.h) and stored as row pieces; the remaining bins one by one.
// As a plain scalar loop this transposition took a third of W3's time. A full block's rows are
// stored by an unrolled loop, so that a square that fits the registers (Line) stays there.
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void transpose_rows(const A* block, int64_t bins, int64_t count, A* y) {
  constexpr int kB = block_channels<A>();
  const auto square = [&](int64_t b) ROI_OPS_LAMBDA_INLINE {
    V r[kB];
    for (int i = 0; i < kB; ++i) r[i] = V::load(block + (b + i) * kB);
    transpose_lanes(r);
    if (count == kB) {
#pragma GCC unroll 16
      for (int j = 0; j < kB; ++j) store_lanes(y + j * bins + b, r[j]);
    } else {
      for (int64_t j = 0; j < count; ++j) store_lanes(y + j * bins + b, r[j]);
    }
  };
  int64_t b = 0;
  for (; b + kB <= bins; b += kB) square(b);
  for (; b < bins; ++b)
    for (int64_t j = 0; j < count; ++j) y[j * bins + b] = block[b * kB + j];
}

#ifdef ROI_OPS_HAVE_AVX512_PATH
// Whole lines (64 bytes) per non-temporal store: against 16-byte ones (also line-aligned), W3
// 1.12x / 1.10x, C1 1.21x / 1.12x on a Zen 4.
__attribute__((target("avx512f"))) void stream_lines(char* d, const char* s, std::size_t lines) {
  for (std::size_t i = 0; i < lines; ++i)
    _mm512_stream_si512(reinterpret_cast<__m512i*>(d + 64 * i), _mm512_loadu_si512(s + 64 * i));
}
#endif

#ifdef ROI_OPS_HAVE_AVX512_PATH
// A full block's squares in zmm registers (Line): as two ymm halves (Lanes) a square takes 32
// registers and went through the stack, whose place relative to the block then decided whether
// the square's loads waited on those stores (4K aliasing: W3 16-23 ms by the environment's size
// on an AMD EPYC Zen 4, against 16.8-18.2 ms in zmm registers).
template <typename A>
ROI_OPS_AVX512 void transpose_full_block(const A* block, int64_t bins, A* y) {
  transpose_rows<Line<A>>(block, bins, block_channels<A>(), y);
}
#endif

template <typename A>
ROI_OPS_ALWAYS_INLINE void transpose_into(const A* block, int64_t bins, int64_t count, A* tile) {
#ifdef ROI_OPS_HAVE_AVX512_PATH
  if (count == block_channels<A>() && cpu_has_avx512()) return transpose_full_block(block, bins, tile);
#endif
  if (wide_lanes())
    transpose_rows<Lanes<A>>(block, bins, count, tile);
  else
    transpose_rows<Quarters<A>>(block, bins, count, tile);
}

// n bytes from src to dst with non-temporal stores where SSE2 has them (not fenced: fence_stream):
// dst's whole lines and, at either end, its 16-byte-aligned pieces, ordinary stores only for the
// bytes outside those. A line's pieces streamed from two calls (two channel blocks of a RoI, whose
// rows meet inside a line when y is not line-aligned) combine; a line with ordinary stores in it
// too costs many times a streamed one. numpy's arrays lie 16 bytes past a line, and io_binding
// hands one to the op as its output: W3 ran 1.85x slower into one than into onnxruntime's
// line-aligned buffer when these heads were copied with ordinary stores, 1.00-1.01x now; 4 bytes
// past a line, 1.13-1.18x (benchmarks/bound_output.py on an AMD EPYC Zen 4, 1 thread).
void stream_bytes(void* dst, const void* src, std::size_t n) {
#if defined(__SSE2__)
  auto* d = static_cast<char*>(dst);
  const auto* s = static_cast<const char*>(src);
  const std::size_t pre = std::min<std::size_t>(n, (16 - reinterpret_cast<std::uintptr_t>(d) % 16) % 16);
  std::memcpy(d, s, pre);
  std::size_t i = pre;
  const auto piece = [&] {
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i)));
    i += 16;
  };
  while (i + 16 <= n && reinterpret_cast<std::uintptr_t>(d + i) % 64 != 0) piece();
#ifdef ROI_OPS_HAVE_AVX512_PATH
  if (cpu_has_avx512()) {
    stream_lines(d + i, s + i, (n - i) / 64);
    i += (n - i) / 64 * 64;
  }
#endif
  while (i + 16 <= n) piece();
  std::memcpy(d + i, s + i, n - i);
#else
  std::memcpy(dst, src, n);
#endif
}

template <typename A>
void copy_rows(A* y, const A* tile, std::size_t n, bool streamed) {
  if (streamed)
    stream_bytes(y, tile, n * sizeof(A));
  else
    std::memcpy(y, tile, n * sizeof(A));
}

}  // namespace

void fence_stream() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

void advise_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;  // x86-64's and most arm64 kernels' THP size
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (begin + kHuge - 1) / kHuge * kHuge, last = (begin + bytes) / kHuge * kHuge;
  // A failure (a kernel without THP, a mapping that takes no advice) leaves the pages as they were.
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

// 8 MB, chosen on the ops' own times on an AMD EPYC (Zen 3, 32 MB of L3 shared by a CCX's cores):
// float16 W2's 10 MB output 1.01x / 1.09x faster streamed, float16 W4's 15 MB 1.06x / 1.22x
// (whether a next op would have found such an output in L3 is not measured here). sysconf's
// LEVEL3_CACHE_SIZE is no guide: in a VM on that EPYC it reports the whole socket's 256 MB.
bool stream_output(std::size_t bytes) { return bytes >= (std::size_t{8} << 20); }

// The rows are transposed into the tile and then copied out in one sequential run (they are
// contiguous in y): stored straight into y, kB rows at a time, C1's 200 MB output was 1.15x
// slower than with scalar stores.
ROI_OPS_ISA_CLONES void write_rows(const float* block, int64_t bins, int64_t count, float* tile, float* y,
                                   bool streamed) {
  transpose_into(block, bins, count, tile);
  copy_rows(y, tile, static_cast<std::size_t>(count * bins), streamed);
}

ROI_OPS_ISA_CLONES void write_rows(const double* block, int64_t bins, int64_t count, double* tile, double* y,
                                   bool streamed) {
  transpose_into(block, bins, count, tile);
  copy_rows(y, tile, static_cast<std::size_t>(count * bins), streamed);
}

ROI_OPS_ISA_CLONES void write_rows(const float* block, int64_t bins, int64_t count, float* tile, Half* y,
                                   bool streamed) {
  const auto n = static_cast<std::size_t>(count * bins);
  transpose_into(block, bins, count, tile);
  if (streamed) return floats_to_halves_streamed(tile, y, n);
  floats_to_halves(tile, y, n);
}

}  // namespace roi_ops::cpu
