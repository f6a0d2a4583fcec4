// Whether C1's CropAndResize (1000 boxes, 14x14 crops, 256 channels of a 200x272 float32 map) could
// skip staging and the output transposition by computing straight from the NCHW planes, against
// the library's own kernel (crop_and_resize, compiled in from ops/cpu/crop_and_resize_cpu.cc),
// one thread, the two taking turns with C1's floor (a copy of (maps + output) / 2, as the bench's).
// The NCHW form, per 16-channel block, box and channel: each crop row is the lerp of two map rows'
// lerps (TensorFlow's order, as crop_box), each map row's 14 columns picked with vpermt2ps from
// 32-cell windows loaded from the plane (masked at the row's end; one window for a box whose
// columns span at most 32 cells, up to five for the widest), a row shared by consecutive crop rows
// computed once; the 16 channels' 196 values go to an L1 tile, streamed to the output as the
// kernel's write_rows does. It checks that both give the same bits, then prints each in floors
// (medians of the per-turn ratios); with the argument `touch`, the NCHW form first reads each
// block's 16 planes in order (into L3) before its boxes. Boxes drawn as crop_loads.cc draws them.
// Needs AVX-512F at run time; RESULTS.md (amd-epyc-zen4, "Session 24's tries") quotes it:
//
//   g++ -O3 -std=c++17 -I. -o /tmp/crop_nchw benchmarks/crop_nchw.cc && /tmp/crop_nchw && /tmp/crop_nchw touch

#include <immintrin.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "benchmarks/bench_boxes.h"
#include "benchmarks/library_sources.h"
#include "ops/cpu/crop_and_resize_cpu.cc"
#include "benchmarks/turns.h"

using namespace roi_ops;
using namespace roi_ops::cpu;

namespace {

constexpr int64_t kC = 256, kH = 200, kW = 272, kK = 1000, kCrop = 14, kPix = kCrop * kCrop;

// One box's column taps as windows of 32 cells from `base`: lanes j < 14 of window w take their
// left (right) cell from index idx_lo[w][j] (idx_hi) of the window where m_lo (m_hi) has bit j.
struct Axis {
  int64_t base = 0;
  int windows = 0;
  int idx_lo[8][16], idx_hi[8][16];
  __mmask16 m_lo[8], m_hi[8];
  float frac[16];
};

struct Rows {
  int64_t lo[kCrop], hi[kCrop];
  float frac[kCrop];
};

__attribute__((target("avx512f"))) Axis make_axis(const math::CropTap<double>* t) {
  Axis a;
  int64_t lo = t[0].lo, hi = t[0].hi;
  for (int j = 0; j < kCrop; ++j) lo = std::min(lo, t[j].lo), hi = std::max(hi, t[j].hi);
  a.base = lo;
  a.windows = static_cast<int>((hi - lo) / 32 + 1);  // C1's widest boxes span 150 cells: 5
  if (a.windows > 8) std::abort();
  alignas(64) int il[16], ih[16];
  alignas(64) float fr[16] = {};
  for (int w = 0; w < a.windows; ++w) {
    __mmask16 ml = 0, mh = 0;
    for (int j = 0; j < 16; ++j) {
      il[j] = ih[j] = 0;
      if (j >= kCrop) continue;
      const int64_t l = t[j].lo - lo - 32 * w, h = t[j].hi - lo - 32 * w;
      if (l >= 0 && l < 32) ml |= 1u << j, il[j] = static_cast<int>(l);
      if (h >= 0 && h < 32) mh |= 1u << j, ih[j] = static_cast<int>(h);
    }
    std::memcpy(a.idx_lo[w], il, sizeof il);
    std::memcpy(a.idx_hi[w], ih, sizeof ih);
    a.m_lo[w] = ml;
    a.m_hi[w] = mh;
  }
  for (int j = 0; j < kCrop; ++j) fr[j] = static_cast<float>(t[j].frac);
  std::memcpy(a.frac, fr, sizeof fr);
  return a;
}

// A map row's lerp at the box's 14 columns: tl + (tr - tl) * frac, as crop_box computes it.
__attribute__((target("avx512f"))) inline __m512 row_lerp(const float* row, const Axis& a, int64_t width) {
  __m512 tl = _mm512_setzero_ps(), tr = _mm512_setzero_ps();
  for (int w = 0; w < a.windows; ++w) {
    const int64_t at = a.base + 32 * w;
    const int64_t left = width - at;  // cells of this row from `at` on
    const __mmask16 k0 = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << std::max<int64_t>(left, 0)) - 1);
    const __mmask16 k1 = left >= 32 ? 0xFFFF : static_cast<__mmask16>((1u << std::clamp<int64_t>(left - 16, 0, 16)) - 1);
    const __m512 v0 = _mm512_maskz_loadu_ps(k0, row + at), v1 = _mm512_maskz_loadu_ps(k1, row + at + 16);
    if (a.windows == 1) {
      tl = _mm512_permutex2var_ps(v0, _mm512_loadu_si512(a.idx_lo[0]), v1);
      tr = _mm512_permutex2var_ps(v0, _mm512_loadu_si512(a.idx_hi[0]), v1);
    } else {
      tl = _mm512_mask_mov_ps(tl, a.m_lo[w], _mm512_permutex2var_ps(v0, _mm512_loadu_si512(a.idx_lo[w]), v1));
      tr = _mm512_mask_mov_ps(tr, a.m_hi[w], _mm512_permutex2var_ps(v0, _mm512_loadu_si512(a.idx_hi[w]), v1));
    }
  }
  return _mm512_fmadd_ps(_mm512_sub_ps(tr, tl), _mm512_loadu_ps(a.frac), tl);
}

// The whole call in the NCHW form (see the header), one 16-channel block at a time.
__attribute__((target("avx512f"))) void nchw_form(const float* x, const std::vector<Axis>& axes,
                                               const std::vector<Rows>& rows, float* y, bool touch) {
  alignas(64) static float tile[16 * kPix + 16];
  const int64_t plane = kH * kW;
  for (int64_t c0 = 0; c0 < kC; c0 += 16) {
    if (touch) {
      __m512 s = _mm512_setzero_ps();
      const float* p = x + c0 * plane;
      for (int64_t i = 0; i + 16 <= 16 * plane; i += 16) s = _mm512_add_ps(s, _mm512_loadu_ps(p + i));
      asm volatile("" : : "v"(s));
    }
    for (int64_t k = 0; k < kK; ++k) {
      const Axis& a = axes[k];
      const Rows& r = rows[k];
      for (int64_t j = 0; j < 16; ++j) {
        const float* p = x + (c0 + j) * plane;
        float* o = tile + j * kPix;
        int64_t last = -1;
        __m512 last_v = _mm512_setzero_ps();
        for (int i = 0; i < kCrop; ++i) {
          const __m512 upper = r.lo[i] == last ? last_v : row_lerp(p + r.lo[i] * kW, a, kW);
          const __m512 lower = r.hi[i] == r.lo[i] ? upper : row_lerp(p + r.hi[i] * kW, a, kW);
          last = r.hi[i], last_v = lower;
          const __m512 out = _mm512_fmadd_ps(_mm512_sub_ps(lower, upper), _mm512_set1_ps(r.frac[i]), upper);
          _mm512_mask_storeu_ps(o + i * kCrop, 0x3FFF, out);
        }
      }
      float* dst = y + (k * kC + c0) * kPix;
      for (int64_t l = 0; l < 16 * kPix / 16; ++l)
        _mm512_stream_ps(dst + 16 * l, _mm512_load_ps(tile + 16 * l));
    }
  }
  _mm_sfence();
}

}  // namespace

int main(int argc, char** argv) {
  if (!__builtin_cpu_supports("avx512f")) {
    std::puts("crop_nchw: this CPU has no AVX-512F");
    return 0;
  }
  const bool touch = argc > 1 && std::string(argv[1]) == "touch";
  huge_vector<float> map(static_cast<std::size_t>(kC * kH * kW) + 16);  // the bench's map and outputs: huge pages
  float* x = map.data();
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < kC * kH * kW; ++i) x[i] = normal(rng);
  std::vector<float> boxes;
  for (int64_t k = 0; k < kK; ++k) {
    const double img_h = 800, img_w = 1088;
    const auto [y1, x1, h, w] = draw_bench_box(rng, img_h, img_w);
    boxes.insert(boxes.end(), {float(y1 / img_h), float(x1 / img_w), float((y1 + h) / img_h), float((x1 + w) / img_w)});
  }
  std::vector<int64_t> bi(kK, 0);
  MapShape shape;
  shape.n = 1, shape.c = kC, shape.h = kH, shape.w = kW;
  CropParams p;
  p.crop_height = p.crop_width = kCrop;
  const std::size_t out_n = static_cast<std::size_t>(kK * kC * kPix);
  huge_vector<float> outputs(2 * out_n);
  float* y_lib = outputs.data();
  float* y_dir = y_lib + out_n;
  ParallelFor serial = [](std::size_t n, const TaskBody& body) {
    for (std::size_t i = 0; i < n; ++i) body(i);
  };
  std::vector<Axis> axes(kK);
  std::vector<Rows> rows(kK);
  int narrow = 0;
  for (int64_t k = 0; k < kK; ++k) {
    const float* b = boxes.data() + 4 * k;
    math::CropTap<double> cols[kCrop];
    for (int j = 0; j < kCrop; ++j) {
      cols[j] = math::crop_tap(math::crop_position<double>(b[1], b[3], kW, kCrop, j), kW);
      const auto t = math::crop_tap(math::crop_position<double>(b[0], b[2], kH, kCrop, j), kH);
      rows[k].lo[j] = t.lo, rows[k].hi[j] = t.hi, rows[k].frac[j] = static_cast<float>(t.frac);
    }
    axes[k] = make_axis(cols);
    narrow += axes[k].windows == 1;
  }
  auto lib = [&] { crop_and_resize<float>(x, shape, boxes.data(), bi.data(), kK, p, y_lib, serial); };
  auto dir = [&] { nchw_form(x, axes, rows, y_dir, touch); };
  lib(), dir();
  std::size_t diff = 0;
  float worst = 0;
  for (std::size_t i = 0; i < out_n; ++i)
    if (y_lib[i] != y_dir[i]) ++diff, worst = std::max(worst, std::abs(y_lib[i] - y_dir[i]));
  std::printf("boxes in one window: %d of %ld; outputs differing: %zu (largest %g)\n", narrow, (long)kK, diff, worst);
  const long copy_bytes = (kH * kW * kC + kK * kC * kPix) * 4 / 2;
  FloorCopy floor_copy(copy_bytes);
  std::vector<double> fl, rl, rd;
  for (int turn = 0; turn < 12; ++turn) {
    const double f = ms(floor_copy), a = ms(lib), d = ms(dir);
    if (turn == 0) continue;
    fl.push_back(f), rl.push_back(a / f), rd.push_back(d / f);
  }
  std::printf("floor %.1f ms; the library %.2f floors, the NCHW form %.2f floors (touch %d)\n", median(fl), median(rl),
              median(rd), touch);
}
