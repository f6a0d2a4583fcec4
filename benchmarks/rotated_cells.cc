// What W6's RoIAlignRotated (three rotated RoIs, 7x7 bins, 2x2 samples, on a [1, 256, 200, 272]
// float32 map) spends staging its cells, and what of that is the loads. The library's own code on
// the library's own runs of cells (build_rotated_table and read_cells, compiled in from
// ops/cpu/roi_align_rotated_cpu.cc; cell_runs and stage_channel_runs from channel_blocks), for
// the call's 16 channel blocks, in four forms that take turns in every round (the machine's drift
// weighs on all alike; the figure to read is the median per-round ratio to the first):
//   staging         stage_channel_runs for each RoI and block, as the kernel calls it;
//   + samples       that, then the RoI's samples on the staged plane (rotated_roi), as the kernel
//                   does (no output write);
//   run loads       the same runs' loads only: each run's first and last cell in each of the 16
//                   planes (the one or two 64-byte lines a run reads), no transposition, no store;
//   line runs       the loads of runs that start on a line boundary instead: each reads one line
//                   per plane, but more runs cover the same cells.
// The boxes are the bench's W6 RoIAlignRotated boxes (roi_ops.bench.cases, seed 1234); the map
// sits in huge pages 16 bytes past a page boundary, as numpy's buffer of the bench's feeds does.
// Built for the machine it runs on, from the repository root, at the library's own -O3 (at -O2 GCC
// left the transposition's loops as loops, and the staging took 2.2x as long):
//
//   g++ -O3 -march=native -std=c++17 -I. -o /tmp/rotated_cells benchmarks/rotated_cells.cc && /tmp/rotated_cells
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>

#include "benchmarks/library_sources.h"
#include "ops/cpu/roi_align_rotated_cpu.cc"
#include "benchmarks/turns.h"

using namespace roi_ops;
using namespace roi_ops::cpu;

namespace {

constexpr int64_t kC = 256, kH = 200, kW = 272, kBins = 49;
constexpr int kB = 16;

// Runs of 16 cells covering `cells`, each from the line boundary at or before the next cell not
// yet covered (cell_runs starts them at that cell).
std::vector<int64_t> line_runs(const std::vector<int64_t>& cells, const float* plane) {
  std::vector<int64_t> starts;
  int64_t end = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0 && cells[i] < end) continue;
    const auto misaligned = static_cast<int64_t>(reinterpret_cast<std::uintptr_t>(plane + cells[i]) % 64 / sizeof(float));
    starts.push_back(std::clamp<int64_t>(cells[i] - misaligned, 0, kH * kW - kB));
    end = starts.back() + kB;
  }
  return starts;
}

unsigned run_loads(const float* x, const std::vector<std::vector<int64_t>>& starts) {
  unsigned acc[kB] = {};
  for (int64_t b = 0; b < kC / kB; ++b) {
    const auto* planes = reinterpret_cast<const unsigned*>(x + b * kB * kH * kW);
    for (const auto& roi : starts)
      for (int64_t first : roi)
        for (int j = 0; j < kB; ++j) acc[j] ^= planes[j * kH * kW + first] ^ planes[j * kH * kW + first + kB - 1];
  }
  unsigned all = 0;
  for (unsigned a : acc) all ^= a;
  return all;
}

}  // namespace

int main() {
  const double boxes[3][5] = {{427.85065, 30.050995, 143.14499, 36.358532, -88.21411},  // cx, cy, w, h, degrees
                              {923.65265, 559.47516, 65.78601, 77.70349, -42.03236},
                              {823.90967, 178.91074, 175.46625, 40.14746, 42.64739}};
  const std::size_t bytes = static_cast<std::size_t>(kC * kH * kW) * sizeof(float) + 64;
  const std::size_t huge = std::size_t{2} << 20;
  char* raw = static_cast<char*>(std::aligned_alloc(huge, (bytes + huge - 1) / huge * huge));
  madvise(raw, bytes, MADV_HUGEPAGE);
  auto* x = reinterpret_cast<float*>(raw + 16);
  for (int64_t i = 0; i < kC * kH * kW; ++i) x[i] = static_cast<float>(i % 7);

  MapShape shape;
  shape.n = 1, shape.c = kC, shape.h = kH, shape.w = kW;
  RotatedParams p;
  p.output_height = p.output_width = 7;
  p.spatial_scale = 0.25;
  p.sampling_ratio = 2;
  std::vector<RotatedTable<float>> tables(3);
  std::vector<std::vector<int64_t>> cells(3), runs(3), lines(3);
  std::vector<uint8_t> marks;
  std::size_t listed = 0, staged = 0, lined = 0;
  for (int k = 0; k < 3; ++k) {
    const math::RotatedBox<double> box{0, boxes[k][0], boxes[k][1], boxes[k][2], boxes[k][3], boxes[k][4]};
    build_rotated_table(math::rotated_geometry(box, p.spatial_scale, p.options, 7, 7, 2), p, shape, tables[k]);
    read_cells(tables[k], shape, marks, cells[k]);
    cell_runs(cells[k], kH * kW, kB, runs[k]);
    lines[k] = line_runs(cells[k], x);
    listed += cells[k].size(), staged += runs[k].size(), lined += lines[k].size();
  }
  std::printf("W6 RoIAlignRotated: %zu cells read, in %zu runs of 16 (%zu starting on a line) per block\n", listed,
              staged, lined);

  std::vector<float> plane_buffer(static_cast<std::size_t>(kH * kW * kB) + kB);
  float* plane = plane_buffer.data() + (kB - reinterpret_cast<std::uintptr_t>(plane_buffer.data()) % 64 / 4) % kB;
  std::vector<float> block(kBins * kB);
  volatile unsigned sink = 0;
  const auto staging = [&](bool samples) {
    for (int64_t c0 = 0; c0 < kC; c0 += kB)
      for (int k = 0; k < 3; ++k) {
        stage_channel_runs(x, shape, 0, c0, kB, runs[k].data(), static_cast<int64_t>(runs[k].size()), plane);
        if (samples) rotated_roi(plane, tables[k], kBins, block.data());
      }
  };
  const char* names[4] = {"staging", "+ samples", "run loads", "line runs"};
  std::vector<double> times[4], ratios[4];
  for (int round = 0; round < 3000; ++round) {
    const double t[4] = {ms([&] { staging(false); }), ms([&] { staging(true); }),
                         ms([&] { sink = sink + run_loads(x, runs); }), ms([&] { sink = sink + run_loads(x, lines); })};
    for (int v = 0; v < 4; ++v) times[v].push_back(t[v] * 1e3), ratios[v].push_back(t[v] / t[0]);
  }
  for (int v = 0; v < 4; ++v)
    std::printf("  %-10s %7.1f us a call, %.3f x staging (median per round)\n", names[v], median(times[v]),
                median(ratios[v]));
  std::free(raw);
  return 0;
}
