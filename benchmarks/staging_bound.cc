// What staging a large map costs against what its reads alone cost here: W1's and W2's map
// ([1, 256, 200, 272] floats, 55.7 MB, 16 channel blocks whose staged plane is 3.5 MB: L3 on a
// Zen 4) staged block by block by the library's own stage_channel_block (ops/cpu/channel_blocks.cc,
// compiled in), next to parts of that work alone. In turns, each round (25, medians):
//   floor          memcpy of W2's (maps + output) / 2 bytes: the bench's floor;
//   read           the map read once in order (one stream, four sums in registers);
//   16-plane read  block by block, its 16 channel planes read side by side (16 streams), summed;
//   plane stores   block by block, the 3.5 MB plane written with 64-byte stores (no reads);
//   16-plane copy  block by block, the 16 planes' lines copied into the plane (no transposition);
//   staging        block by block, the library's staging (transposition and prefetch included).
// "floors" is the median per-round ratio to the floor. The map reads cost the same from one
// stream or sixteen; staging costs more than its reads plus its plane's stores, so the stores
// into the L3-resident plane and the DRAM stream slow each other. RESULTS.md (amd-epyc-zen4,
// session 31) quotes the figures. From the repository root:
//
//   g++ -O3 -march=x86-64-v4 -std=c++17 -I. -o /tmp/staging_bound benchmarks/staging_bound.cc && /tmp/staging_bound
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "benchmarks/library_sources.h"
#include "benchmarks/turns.h"

namespace {

typedef float Line __attribute__((vector_size(64)));

constexpr int64_t kC = 256, kH = 200, kW = 272, kB = 16, kCells = kH * kW;

// A line of 16 floats from p (by reference: a 64-byte vector returned by value changes the ABI
// where AVX-512 is not enabled, which GCC warns of).
void add(Line& sum, const float* p) {
  Line v;
  std::memcpy(&v, p, sizeof v);
  sum += v;
}

}  // namespace

int main() {
  huge_vector<float> map(static_cast<std::size_t>(kC * kCells));  // a bench tensor: huge pages
  for (std::size_t i = 0; i < map.size(); ++i) map[i] = static_cast<float>(i % 13) * 0.1f;
  roi_ops::cpu::LineBuffer<float> buffer;
  float* const plane = buffer.get(static_cast<std::size_t>(kCells * kB));
  const double floor_mb = (55.7 + 20.1) / 2;  // W2's maps and output (traffic.py)
  FloorCopy floor_copy(static_cast<std::size_t>(floor_mb * 1e6));
  roi_ops::cpu::MapShape s;
  s.n = 1, s.c = kC, s.h = kH, s.w = kW;
  Line sink{};
  struct Part {
    const char* name;
    std::function<void()> run;
  };
  const std::vector<Part> parts = {
      {"floor (memcpy of W2's bytes)", [&] { floor_copy(); }},
      {"read (one stream)", [&] {
         Line a{}, b{}, c{}, d{};
         for (std::size_t i = 0; i + 4 * kB <= map.size(); i += 4 * kB)
           add(a, &map[i]), add(b, &map[i + kB]), add(c, &map[i + 2 * kB]), add(d, &map[i + 3 * kB]);
         sink += a + b + c + d;
       }},
      {"16-plane read", [&] {
         for (int64_t block = 0; block < kC / kB; ++block) {
           const float* planes = map.data() + block * kB * kCells;
           for (int64_t i = 0; i < kCells; i += kB) {
             Line a{}, b{};
             for (int64_t j = 0; j < kB; j += 2) add(a, planes + j * kCells + i), add(b, planes + (j + 1) * kCells + i);
             sink += a + b;
           }
         }
       }},
      {"plane stores", [&] {
         for (int64_t block = 0; block < kC / kB; ++block)
           for (int64_t i = 0; i < kCells * kB; i += kB) std::memcpy(plane + i, &sink, sizeof sink);
       }},
      {"16-plane copy (no transposition)", [&] {
         for (int64_t block = 0; block < kC / kB; ++block) {
           const float* planes = map.data() + block * kB * kCells;
           for (int64_t i = 0; i < kCells; i += kB)
             for (int64_t j = 0; j < kB; ++j) std::memcpy(plane + (i + j) * kB, planes + j * kCells + i, 64);
         }
       }},
      {"staging (the library's)", [&] {
         for (int64_t block = 0; block < kC / kB; ++block)
           roi_ops::cpu::stage_channel_block(map.data(), s, 0, block * kB, 1, kB, roi_ops::cpu::Window::whole(s),
                                             plane);
       }},
  };
  constexpr int kRounds = 25;
  std::vector<std::vector<double>> took(parts.size());
  for (int round = 0; round < kRounds; ++round)
    for (std::size_t p = 0; p < parts.size(); ++p) took[p].push_back(ms(parts[p].run));
  std::printf("W1/W2's map, 55.7 MB in 16 channel blocks; %d rounds, medians\n", kRounds);
  for (std::size_t p = 0; p < parts.size(); ++p) {
    std::vector<double> floors(kRounds);
    for (int r = 0; r < kRounds; ++r) floors[r] = took[p][r] / took[0][r];
    std::printf("  %-34s %6.2f ms  %5.2f floors\n", parts[p].name, median(took[p]), median(floors));
  }
  float out[kB];
  std::memcpy(out, &sink, sizeof out);
  if (out[0] == 12345.0f && plane[0] == 1.0f) std::puts("");  // keeps the sums alive
  return 0;
}
