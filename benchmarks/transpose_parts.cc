// What the output's transposition costs by its parts, on W3's shape: one RoI's channel block of
// 7x7 bins ([49 bins, 16 channels] floats, as the bins leave it) turned into [16 channels, 49
// bins] rows in the tile by the library's own code (write_rows' transposition, ops/cpu/
// roi_output.cc: three 16x16 squares in zmm registers, 64 two-source shuffles each, stored as row
// pieces 49 floats apart, and the 49th bin one float at a time), next to its parts alone:
//   the library's     the transposition as write_rows runs it;
//   stores alone      the same stores (48 row pieces, each across two lines, and 16 floats), of
//                     one register: no loads, no shuffles;
//   loads + shuffles  the block's 48 rows loaded and the three squares transposed in registers:
//                     no stores;
//   block copy        the block's 49 lines copied into the tile as they are (aligned loads and
//                     stores), what a layout needing no transposition would pay here;
//   pieces by loads   the same transposition with its two stages that move whole 16-byte pieces
//                     done by the loads (each row put together from four rows' pieces by masked
//                     16-byte broadcasts), 32 shuffles a square instead of 64 and four times the
//                     loads (tried in session 50: slower here, no faster inside the op).
// The block and the tile lie where the library's block tasks have them (thread_task_buffers), so
// that the loads do not wait on the stores by 4K aliasing. Eight blocks (a RoI's four, twice) in
// turn, 400 rounds, each variant in every round; medians, in ns per block.
// amd-epyc-zen4/RESULTS.md (sessions 33 and 50) quotes the figures. Built for AVX-512 (the
// library's x86-64-v4 clones), from the repository root:
//
//   g++ -O3 -march=x86-64-v4 -std=c++17 -I. -o /tmp/transpose_parts benchmarks/transpose_parts.cc && /tmp/transpose_parts
#include <immintrin.h>

#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "benchmarks/library_sources.h"
#include "benchmarks/turns.h"

using namespace roi_ops::cpu;

#if defined(__AVX512F__) && defined(ROI_OPS_HAVE_AVX512_PATH)
namespace {

constexpr int kB = 16, kBins = 49, kBlocks = 8, kRounds = 400, kReps = 200;
using L = Line<float>;

// The transposition's stores alone: write_rows' row pieces and its last bin's floats.
__attribute__((noinline)) void stores_alone(const float* block, float* tile) {
  const L v = L::load(block);
  for (int b = 0; b + kB <= kBins; b += kB) {
#pragma GCC unroll 16
    for (int j = 0; j < kB; ++j) store_lanes(tile + j * kBins + b, v);
  }
  for (int j = 0; j < kB; ++j) tile[j * kBins + kBins - 1] = block[j];
}

// Its loads and shuffles alone: the squares transposed, each row left in its register (an empty
// asm takes it, so the shuffles are kept and nothing else is added).
__attribute__((noinline)) void loads_and_shuffles(const float* block, float*) {
  for (int b = 0; b + kB <= kBins; b += kB) {
    L r[kB];
    for (int i = 0; i < kB; ++i) r[i] = L::load(block + (b + i) * kB);
    transpose_lanes(r);
#pragma GCC unroll 16
    for (int j = 0; j < kB; ++j) asm volatile("" : : "v"(r[j].v));
  }
}

__attribute__((noinline)) void block_copy(const float* block, float* tile) {
#pragma GCC unroll 7
  for (int i = 0; i < kBins; ++i) store_lanes(tile + i * kB, L::load(block + i * kB));
}

__attribute__((noinline)) void pieces_by_loads(const float* block, float* tile) {
  for (int b = 0; b + kB <= kBins; b += kB) {
    Line<float>::Whole w[kB];
    // Row 4p + i holds piece p of block rows i, 4 + i, 8 + i and 12 + i.
    for (int p = 0; p < 4; ++p)
      for (int i = 0; i < 4; ++i) {
        const float* at = block + (b + i) * kB + 4 * p;
        __m512 v = _mm512_maskz_broadcast_f32x4(0x000f, _mm_loadu_ps(at));
        v = _mm512_mask_broadcast_f32x4(v, 0x00f0, _mm_loadu_ps(at + 4 * kB));
        v = _mm512_mask_broadcast_f32x4(v, 0x0f00, _mm_loadu_ps(at + 8 * kB));
        v = _mm512_mask_broadcast_f32x4(v, 0xf000, _mm_loadu_ps(at + 12 * kB));
        w[4 * p + i] = v;
      }
    lanes_detail::transpose_from<2>(w, std::make_index_sequence<kB>{});
#pragma GCC unroll 16
    for (int j = 0; j < kB; ++j) std::memcpy(tile + j * kBins + b, &w[j], sizeof w[j]);
  }
  for (int j = 0; j < kB; ++j) tile[j * kBins + kBins - 1] = block[(kBins - 1) * kB + j];
}

__attribute__((noinline)) void library(const float* block, float* tile) {
  transpose_into(block, kBins, kB, tile);
}

}  // namespace

int main() {
  if (!cpu_has_avx512()) {
    std::puts("this CPU has no AVX-512: the library transposes in ymm pairs here; nothing timed");
    return 0;
  }
  const TaskBuffers<float> buffers = thread_task_buffers<float>(0, kBlocks * kBins * kB, kBins * kB);
  for (int i = 0; i < kBlocks * kBins * kB; ++i) buffers.block[i] = static_cast<float>(i % 97) * 0.25f;
  std::vector<float> want(kBins * kB);
  library(buffers.block, buffers.tile);
  std::memcpy(want.data(), buffers.tile, want.size() * sizeof(float));
  pieces_by_loads(buffers.block, buffers.tile);
  if (std::memcmp(want.data(), buffers.tile, want.size() * sizeof(float)) != 0) {
    std::puts("pieces by loads transposed the block wrongly");
    return 1;
  }
  struct Variant {
    const char* name;
    void (*run)(const float*, float*);
    std::vector<double> ns;
  };
  std::vector<Variant> variants = {{"the library's transposition", library, {}},
                                   {"its stores alone", stores_alone, {}},
                                   {"its loads and shuffles alone", loads_and_shuffles, {}},
                                   {"the block copied as it is", block_copy, {}},
                                   {"pieces by loads", pieces_by_loads, {}}};
  for (int round = 0; round < kRounds; ++round)
    for (Variant& v : variants)
      v.ns.push_back(ms([&] {
                       for (int rep = 0; rep < kReps; ++rep)
                         for (int k = 0; k < kBlocks; ++k) v.run(buffers.block + k * kBins * kB, buffers.tile);
                     }) * 1e6 / (kReps * kBlocks));
  std::printf("W3's channel block of 7x7 bins ([49, 16] floats -> [16, 49]), ns per block (medians of %d rounds):\n",
              kRounds);
  for (const Variant& v : variants) std::printf("  %-30s %6.1f\n", v.name, median(v.ns));
  float check[kBins * kB];
  std::memcpy(check, buffers.tile, sizeof check);
  if (check[0] == 12345.0f) std::puts("");  // keeps the results alive
  return 0;
}
#else
int main() {
  std::puts("built without AVX-512 (-march=x86-64-v4): the transposition timed here is the library's zmm one");
  return 0;
}
#endif
