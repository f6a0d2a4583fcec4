// What RoIAlign's avg bins on a large map would gain if its staged block plane fitted in L2: the
// library's own align_roi (ops/cpu/roi_align_cpu.cc, compiled in with its ISA clones; one channel
// block per walk, as W1 and M1's finest map run it) on the library's own tables for a [200, 272]
// map (a 3.5 MB block plane: L3 on a Zen 4 with 1 MB of L2), against the same bins with every row
// offset folded into the first 512 KB of the plane (the same loads, cell for cell, from a plane
// that fits L2; the numbers are not the op's). RoIs are taken in the library's order (BlockPlan's
// Z-order curve). Before each round the workload's floor is timed (memcpy of (maps + output) / 2,
// the bench's), then the plane is written as staging writes it, then the two forms run in an
// order that alternates by round; the figures are medians of 100 rounds, the gain the median
// per-round ratio, and a call's bins (16 channel blocks) are given in floors. Two workloads: W1
// (1000 RoIs) and M1's finest map (those of 1000 RoIs that FPN level assignment sends there),
// both sampling_ratio 2, 7x7, RoIs drawn as the bench draws them (sizes log-uniform in 16-600 px
// in an 800x1088 image) from a C++ generator, so not the bench's exact boxes. The bins here take
// 1.1-1.4x as long a block as inside the op (W1 by perf: ~0.75 ms a block); the ratio is what to
// read. From the repository root, at the library's -O3:
//
//   g++ -O3 -std=c++17 -I. -o /tmp/l2_plane benchmarks/l2_plane.cc && /tmp/l2_plane
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "benchmarks/bench_boxes.h"
#include "benchmarks/library_sources.h"
#include "benchmarks/turns.h"
#include "ops/cpu/align_rows_first.cc"
#include "ops/cpu/roi_align_cpu.cc"
#include "ops/cpu/rows_first_f16c.cc"
#include "ops/math/fpn_levels.h"

using namespace roi_ops;
using namespace roi_ops::cpu;
constexpr int kB = 16;
constexpr int64_t kH = 200, kW = 272, kOut = 7, kBlocks = 256 / kB;
constexpr double kScale = 0.25;

namespace {

// 1000 boxes as the bench draws them; with `finest`, only those FPN level assignment sends to the
// [200, 272] map (scale 1/4) of M1's four.
std::vector<math::Box<double>> boxes(bool finest) {
  std::mt19937_64 rng(1234);
  std::vector<math::Box<double>> out;
  for (int i = 0; i < 1000; ++i) {
    const DrawnBox d = draw_bench_box(rng, kH / kScale, kW / kScale);
    const math::Box<double> b{0, d.x1, d.y1, d.x1 + d.w, d.y1 + d.h};
    if (!finest || math::fpn_level(b.x1, b.y1, b.x2, b.y2, math::FpnLevels{}) == 0) out.push_back(b);
  }
  return out;
}

void run(const char* name, const std::vector<math::Box<double>>& rois, double floor_mb) {
  const auto K = static_cast<int64_t>(rois.size());
  const std::vector<int64_t> batch(rois.size(), 0);
  MapShape s;
  s.n = 1, s.c = kB, s.h = kH, s.w = kW;
  AlignTables<float> t;
  build_tables(rois, batch, s, kOut, kOut,
               [&](const math::Box<double>& b) {
                 return std::make_pair(math::align_axis(b.y1, b.y2, kScale, false, kOut, 2),
                                       math::align_axis(b.x1, b.x2, kScale, false, kOut, 2));
               },
               true, t, [](std::size_t tasks, const TaskBody& body) {
                 for (std::size_t i = 0; i < tasks; ++i) body(i);
               });
  const BlockPlan plan(batch, 1, kB, kB, 1, t.windows);
  AlignParams params;
  params.output_height = params.output_width = kOut;
  params.spatial_scale = kScale;
  params.sampling_ratio = 2;
  AlignTables<float> folded = t;
  constexpr int64_t kFold = (512 << 10) / sizeof(float);  // a multiple of kB: offsets stay on cells
  for (auto& c : folded.y_cells) c.offset %= kFold;
  double cells = 0;
  for (int64_t k = 0; k < K; ++k)
    for (int64_t ph = 0; ph < kOut; ++ph)
      for (int64_t pw = 0; pw < kOut; ++pw)
        cells += static_cast<double>(t.y_bins[k * kOut + ph].count * t.x_bins[k * kOut + pw].count);

  // The plane and a RoI's results where the library's block tasks have them (thread_task_buffers).
  const std::size_t plane_floats = block_plane_elements<float>(s), results = kOut * kOut * kB;
  const TaskBuffers<float> buffers = thread_task_buffers<float>(plane_floats, results, results);
  float* const plane = buffers.planes;
  float* const block = buffers.block;
  std::vector<float> staged(plane_floats);
  for (std::size_t i = 0; i < staged.size(); ++i) staged[i] = static_cast<float>(i % 13) * 0.1f;
  FloorCopy floor_copy(static_cast<std::size_t>(floor_mb * 1e6));
  auto bins = [&](const AlignTables<float>& tables) {
    for (int64_t pos = 0; pos < K; ++pos) align_roi(plane, tables, plan.roi(pos), params, block);
  };
  std::vector<double> floor_us, l3_us, l2_us, gain;
  for (int round = 0; round < 100; ++round) {
    floor_us.push_back(1e3 * ms(floor_copy));
    double took[2];
    for (int i = 0; i < 2; ++i) {
      const int form = (round + i) % 2;  // 0: the plane as it is, 1: folded
      std::memcpy(plane, staged.data(), plane_floats * sizeof(float));  // written just before, as staged
      took[form] = 1e3 * ms([&] { bins(form == 0 ? t : folded); });
    }
    l3_us.push_back(took[0]), l2_us.push_back(took[1]), gain.push_back(took[0] / took[1]);
  }
  std::vector<double> l3_floors(l3_us.size()), l2_floors(l2_us.size());
  for (std::size_t i = 0; i < l3_us.size(); ++i) {
    l3_floors[i] = l3_us[i] * kBlocks / floor_us[i];
    l2_floors[i] = l2_us[i] * kBlocks / floor_us[i];
  }
  std::printf("%s: %lld RoIs, %.2f cells a bin, floor %.2f ms\n", name, static_cast<long long>(K),
              cells / static_cast<double>(K * kOut * kOut), median(floor_us) / 1e3);
  std::printf("  3.5 MB plane:         %7.0f us a block (%.2f ns a cell), a call's bins %.2f floors\n",
              median(l3_us), median(l3_us) * 1e3 / cells, median(l3_floors));
  std::printf("  folded into 512 KB:   %7.0f us a block (%.2f ns a cell), a call's bins %.2f floors; %.3fx faster\n",
              median(l2_us), median(l2_us) * 1e3 / cells, median(l2_floors), median(gain));
  if (block[0] == 12345.0f) std::puts("");  // keeps the bins' results alive
}

}  // namespace

int main() {
  // Floors (traffic.py): W1 maps 55.7 MB, output 50.2 MB; M1 maps 74.0 MB, output 50.2 MB.
  run("W1 ([200, 272] map, all RoIs)", boxes(false), (55.7 + 50.2) / 2);
  run("M1's finest map ([200, 272], its level's RoIs)", boxes(true), (74.0 + 50.2) / 2);
  return 0;
}
