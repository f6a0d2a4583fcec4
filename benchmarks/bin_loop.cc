// What one avg RoIAlign bin costs on W3's and W4's small maps, and what of it is the loads: the
// library's own bin code (ops/cpu/align_bins.h) on the library's own tables, for one staged
// channel block, next to variants that each drop one cost, and the library's walk of a bin's
// cells for two blocks at once (average_bin_blocks<2>; its figures per block), and the same walk
// over four blocks (average_bin_blocks<4>: the library's where four planes fit in L2, since
// session 29; see amd-epyc-zen4/RESULTS.md). Then the
// same walks with the output written: its lines streamed as they are (a bound: the op's rows are
// transposed first), through the library's write_rows, and through write_rows' path with its
// tile at several distances from the block (session 28). Session 33 added the four-block walk with
// every cell an L1 hit (the tables' offsets folded into a corner of each plane: the walk's cost
// with no L2 in it; not its sums), the bins' FMAs alone (one per cell and one per row of every
// bin, in registers: the arithmetic's own bound) and the output's path alone (write_rows, or the
// lines streamed as they are, with no bins). This walk runs slower than the library's inside the
// op: W3's bins took 5.4-6.2 ns a bin and block there (the op with and without them, session 33),
// 7.4-7.9 here, so read a variant against this file's own rows. All variants take turns in every
// round, so a change of this machine's speed between rounds (it moves by up to 2x within seconds
// here) weighs on all of them alike; the figure to read is the median per-round ratio to the
// library's code. Each round also times the workload's floor (memcpy of (maps + output) / 2, the
// bench's), so the bins of a whole call (the block's bins times the call's image-blocks) read in
// floors, as the targets do. Built for an AVX-512 machine (the library's x86-64-v4 clones; with -march=native,
// whose ISA is wider on a Zen 4, GCC does not inline the library's templates into its x86-64-v4
// functions), from the repository root, at the library's -O3 (at -O2, as sessions 21-27 built it,
// GCC left the transposition's shuffles in memory, which then took 5x as long, and the 3x3
// variant ran 1.4x slower):
//
//   g++ -O3 -march=x86-64-v4 -mtune=native -std=c++17 -I. -o /tmp/bin_loop benchmarks/bin_loop.cc && /tmp/bin_loop
//
// RoIs are drawn as the bench draws them (sizes log-uniform in 16-600 px inside the image), from
// a C++ generator, so they are not the bench's exact boxes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "benchmarks/bench_boxes.h"
#include "benchmarks/library_sources.h"
#include "benchmarks/turns.h"
#include "ops/cpu/align_bins.h"

using namespace roi_ops;
using namespace roi_ops::cpu;
using V = Lanes<float>;  // the library's form on AVX2 CPUs (on AVX-512 ones its walks over several blocks take Line)
constexpr int kB = 16;

namespace {

// A call's output, [images x rois, channels, bins] floats, on huge pages as the library advises
// its streamed outputs; written with non-temporal stores (the library's stream_bytes and
// write_rows). A variant's pass computes `nb` channel blocks of one image's RoIs, as one block
// task of the op does; each pass takes the next image, then the next blocks.
struct Output {
  static constexpr std::size_t kHuge = std::size_t{2} << 20;
  int64_t images, rois, channels, bins;
  std::size_t floats;
  float* base;
  int64_t pass = 0;
  Output(int64_t images, int64_t rois, int64_t channels, int64_t bins)
      : images(images), rois(rois), channels(channels), bins(bins),
        floats(static_cast<std::size_t>(images * rois * channels * bins)),
        // whole 2 MB pages, as aligned_alloc needs, and room for the bytes
        base(static_cast<float*>(std::aligned_alloc(kHuge, (floats * sizeof(float) / kHuge + 1) * kHuge))) {
    advise_huge_pages(base, floats * sizeof(float));
    std::memset(base, 0, floats * sizeof(float));
  }
  Output(const Output&) = delete;  // owns base
  Output& operator=(const Output&) = delete;
  ~Output() { std::free(base); }
  // Where RoI k's nb blocks of this pass go in the op's layout: k's rows are channels * bins apart.
  float* roi(int64_t k, int64_t nb) const {
    const int64_t image = pass % images, group = pass / images % (channels / (kB * nb));
    return base + ((image * rois + k) * channels + group * nb * kB) * bins;
  }
  // The same rows written one after another instead (a RoI-major loop would write them so).
  float* in_sequence(int64_t k, int64_t nb) const {
    const int64_t chunk = nb * kB * bins, chunks = static_cast<int64_t>(floats) / chunk;
    return base + (pass * rois + k) % chunks * chunk;
  }
};

struct Workload {
  const char* name;
  int64_t h, w, rois, out;
  double scale;
  int64_t blocks_per_call;  // images x channel blocks of the bench's call
  double floor_mb;          // the call's floor copy, (maps + output) / 2
  int64_t images, channels;
};

AlignTables<float> tables_for(const Workload& wl) {
  std::mt19937_64 rng(1234);
  const double img_h = wl.h / wl.scale, img_w = wl.w / wl.scale;
  std::vector<math::Box<double>> boxes(static_cast<std::size_t>(wl.rois));
  for (auto& b : boxes) {
    const DrawnBox d = draw_bench_box(rng, img_h, img_w);
    b = {0, d.x1, d.y1, d.x1 + d.w, d.y1 + d.h};
  }
  MapShape s;
  s.n = 1, s.c = kB, s.h = wl.h, s.w = wl.w;
  AlignTables<float> t;
  build_tables(boxes, std::vector<int64_t>(boxes.size(), 0), s, wl.out, wl.out,
               [&](const math::Box<double>& b) {
                 return std::make_pair(math::align_axis(b.y1, b.y2, wl.scale, false, wl.out, 0),
                                       math::align_axis(b.x1, b.x2, wl.scale, false, wl.out, 0));
               },
               true, t, [](std::size_t tasks, const TaskBody& body) {
                 for (std::size_t i = 0; i < tasks; ++i) body(i);  // one thread: only the bins are timed
               });
  // Two spare cells at the ends, for the 3x3 variant's reads past a table's last bin.
  for (int i = 0; i < 2; ++i) t.y_cells.push_back({0, 0.0f}), t.x_cells.push_back({0, 0.0f});
  return t;
}

void run(const Workload& wl) {
  const AlignTables<float> t = tables_for(wl);
  const int64_t P = wl.out, K = wl.rois, bins = K * P * P;
  // Block planes back to back, as for_each_roi_block<2> stages two; most variants read the first.
  const auto second = static_cast<std::ptrdiff_t>(wl.h * wl.w * kB);
  std::vector<float> plane(static_cast<std::size_t>(4 * second));
  for (std::size_t i = 0; i < plane.size(); ++i) plane[i] = static_cast<float>(i % 13) * 0.1f;
  // A RoI's results and write_rows' tile where the library's block tasks have them.
  const TaskBuffers<float> buffers = thread_task_buffers<float>(0, 4 * P * P * kB, P * P * kB);
  float* const block = buffers.block;
  double cells = 0, rows = 0;
  for (int64_t k = 0; k < K; ++k)
    for (int64_t ph = 0; ph < P; ++ph)
      for (int64_t pw = 0; pw < P; ++pw) {
        cells += static_cast<double>(t.y_bins[k * P + ph].count * t.x_bins[k * P + pw].count);
        rows += static_cast<double>(t.y_bins[k * P + ph].count);
      }
  auto bin_cells = [&](int64_t k, int64_t ph, int64_t pw) {
    const Span y = t.y_bins[k * P + ph], x = t.x_bins[k * P + pw];
    return std::make_tuple(t.y_cells.data() + y.first, y.count, t.x_cells.data() + x.first, x.count);
  };
  V sink{};
  Output output(wl.images, K, wl.channels, P * P);
  LineBuffer<float> tile_buffer;  // transposed rows (two RoIs' for the spread stream; 4 KB more for the sweep)
  float* const tile_data = tile_buffer.get(static_cast<std::size_t>(8 * P * P * kB + 1024));
  const auto roi_lines = static_cast<std::size_t>(P * P);  // one block of a RoI's results: P*P lines of kB floats
  // A RoI's bins over two blocks per walk (the library's average_bin_blocks<2>) or four, into block
  // (its planes P * P * kB apart); `after(k)` then writes RoI k's results, or does nothing.
  auto pair_bins = [&](int64_t k) {
    for (int64_t ph = 0; ph < P; ++ph)
      for (int64_t pw = 0; pw < P; ++pw) {
        const auto [ys, ny, xs, nx] = bin_cells(k, ph, pw);
        float* out = block + (ph * P + pw) * kB;
        average_bin_blocks<2, V>(plane.data(), second, ys, ny, xs, nx, t.divisor[k], out, P * P * kB);
      }
  };
  auto four_bins = [&](int64_t k) {
    for (int64_t ph = 0; ph < P; ++ph)
      for (int64_t pw = 0; pw < P; ++pw) {
        const auto [ys, ny, xs, nx] = bin_cells(k, ph, pw);
        average_bin_blocks<4, V>(plane.data(), second, ys, ny, xs, nx, t.divisor[k], block + (ph * P + pw) * kB, P * P * kB);
      }
  };
  // The same walk on tables whose cells all lie in 4 rows x 16 cells of each plane (16 KB for the
  // four planes): every load an L1 hit. Its figures are the walk's cost without L2; not its sums.
  AlignTables<float> in_l1 = t;
  for (auto& c : in_l1.y_cells) c.offset = c.offset / (wl.w * kB) % 4 * 16 * kB;
  for (auto& c : in_l1.x_cells) c.offset = c.offset / kB % 16 * kB;
  auto four_bins_l1 = [&](int64_t k) {
    for (int64_t ph = 0; ph < P; ++ph)
      for (int64_t pw = 0; pw < P; ++pw) {
        const Span y = in_l1.y_bins[k * P + ph], x = in_l1.x_bins[k * P + pw];
        average_bin_blocks<4, V>(plane.data(), second, in_l1.y_cells.data() + y.first, y.count,
                                 in_l1.x_cells.data() + x.first, x.count, t.divisor[k], block + (ph * P + pw) * kB,
                                 P * P * kB);
      }
  };
  auto each_roi = [&](auto bins_of, auto after) {
    return [=] {
      for (int64_t k = 0; k < K; ++k) bins_of(k), after(k);
    };
  };
  auto nothing = [](int64_t) {};
  auto streamed = [&](int nb) {  // the RoI's lines as they are
    return [&, nb](int64_t k) { stream_bytes(output.roi(k, nb), block, nb * roi_lines * 64); };
  };
  auto through_write_rows = [&](int nb) {
    return [&, nb](int64_t k) {
      for (int j = 0; j < nb; ++j)
        write_rows(block + j * P * P * kB, P * P, kB, buffers.tile, output.roi(k, nb) + j * P * P * kB, true);
    };
  };
  // Transposed at the end of each RoI as write_rows does (into two tiles in turn), the previous
  // RoI's tile streamed `nb` lines at a time between this RoI's bins.
  auto transposed_spread = [&](int nb) {
    return [&, nb] {
      float* dst = nullptr;
      const std::size_t lines = nb * roi_lines;
      for (int64_t k = 0; k < K; ++k) {
        float* tile = tile_data + (k % 2) * nb * P * P * kB;
        const float* last = tile_data + ((k + 1) % 2) * nb * P * P * kB;
        std::size_t done = 0;
        for (int64_t ph = 0; ph < P; ++ph)
          for (int64_t pw = 0; pw < P; ++pw) {
            const auto [ys, ny, xs, nx] = bin_cells(k, ph, pw);
            float* out = block + (ph * P + pw) * kB;
            if (nb == 2)
              average_bin_blocks<2, V>(plane.data(), second, ys, ny, xs, nx, t.divisor[k], out, P * P * kB);
            else
              average_bin_blocks<4, V>(plane.data(), second, ys, ny, xs, nx, t.divisor[k], out, P * P * kB);
            if (dst != nullptr) stream_bytes(dst + done * kB, last + done * kB, nb * 64), done += nb;
          }
        if (dst != nullptr) stream_bytes(dst + done * kB, last + done * kB, (lines - done) * 64);
        for (int j = 0; j < nb; ++j) transpose_rows<V>(block + j * P * P * kB, P * P, kB, tile + j * P * P * kB);
        dst = output.roi(k, nb);
      }
      stream_bytes(dst, tile_data + ((K + 1) % 2) * nb * P * P * kB, lines * 64);
    };
  };
  // write_rows' path (transposition into a tile, then streamed) with the tile `lines` lines past
  // the block modulo 4 KB: where the tile lies decides whether each square's loads from the block
  // wait on the previous square's stores into the tile (4K aliasing; amd-epyc-zen4/RESULTS.md,
  // session 28).
  auto tile_at = [&](int64_t lines) {
    return each_roi(pair_bins, [&, lines](int64_t k) {
      for (int j = 0; j < 2; ++j) {
        const float* from = block + j * P * P * kB;
        const auto at = [](const float* p) { return reinterpret_cast<std::uintptr_t>(p); };
        float* tile = tile_data + (at(from) + 64 * lines - at(tile_data)) % 4096 / sizeof(float);
        transpose_rows<V>(from, P * P, kB, tile);
        stream_bytes(output.roi(k, 2) + j * P * P * kB, tile, roi_lines * 64);
      }
    });
  };
  struct Variant {
    const char* name;
    std::function<void()> run;
    int blocks = 1;  // channel blocks it computes
  };
  std::vector<Variant> variants = {
      {"the library's bins", [&] {
         for (int64_t k = 0; k < K; ++k)
           for (int64_t ph = 0; ph < P; ++ph)
             for (int64_t pw = 0; pw < P; ++pw)
               align_table_bin<V, 0>(plane.data(), t, k, ph, pw, P, P, block + (ph * P + pw) * kB);
       }},
      {"the library's bins, two blocks in turn", [&] {
         for (const float* p : {plane.data(), plane.data() + second})
           for (int64_t k = 0; k < K; ++k)
             for (int64_t ph = 0; ph < P; ++ph)
               for (int64_t pw = 0; pw < P; ++pw)
                 align_table_bin<V, 0>(p, t, k, ph, pw, P, P, block + (ph * P + pw) * kB);
       }, 2},
      {"two blocks per walk (average_bin_blocks<2>)", each_roi(pair_bins, nothing), 2},
      {"four blocks per walk (average_bin_blocks<4>)", each_roi(four_bins, nothing), 4},
      // The bins and the output's stream alone, as a lower bound on a table-driven kernel that
      // writes its output with non-temporal stores: the library's output also goes through a
      // transposition (write_rows), and its call stages the maps and builds the tables.
      {"two blocks per walk + the RoI's lines streamed", each_roi(pair_bins, streamed(2)), 2},
      {"four blocks per walk + the RoI's lines streamed", each_roi(four_bins, streamed(4)), 4},
      {"the same, written in sequence (not the op's layout)", each_roi(four_bins, [&](int64_t k) {
         stream_bytes(output.in_sequence(k, 4), block, 4 * roi_lines * 64);
       }), 4},
      // The same with the library's output path: each block transposed into [channel, bin] rows
      // and those streamed (write_rows), as the op writes them.
      {"two blocks per walk + write_rows", each_roi(pair_bins, through_write_rows(2)), 2},
      {"two blocks per walk + transposed, not streamed", each_roi(pair_bins, [&](int64_t) {
         for (int j = 0; j < 2; ++j) transpose_rows<V>(block + j * P * P * kB, P * P, kB, tile_data + j * P * P * kB);
       }), 2},
      {"two blocks per walk + transposed, spread over the next RoI", transposed_spread(2), 2},
      {"four blocks per walk + transposed, spread over the next RoI", transposed_spread(4), 4},
      {"four blocks per walk + write_rows", each_roi(four_bins, through_write_rows(4)), 4},
      {"four blocks, every cell an L1 hit", each_roi(four_bins_l1, nothing), 4},
      {"four blocks, every cell an L1 hit + lines streamed", each_roi(four_bins_l1, streamed(4)), 4},
      // The bins' arithmetic alone: one FMA per cell and one per row of every bin (a V each, as
      // average_bin computes them), in eight independent chains in registers: no loads, no tables.
      {"the bins' FMAs alone, in registers", [&] {
         const V w = V::splat(0.999999f), c = V::splat(1e-7f);
         V a[8];  // unequal starts: equal chains would be computed once
         for (int j = 0; j < 8; ++j) a[j] = V::splat(1.0f + 0.001f * static_cast<float>(j));
         const auto fmas = static_cast<int64_t>(cells + rows);
         for (int64_t i = 0; i + 8 <= fmas; i += 8) {
#pragma GCC unroll 8
           for (int j = 0; j < 8; ++j) a[j] = a[j] * w + c;
         }
         sink += a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
       }},
      {"no bins: write_rows of four blocks alone", each_roi(nothing, through_write_rows(4)), 4},
      {"no bins: four blocks' lines streamed alone", each_roi(nothing, streamed(4)), 4},
      {"two blocks per walk, tile at block + 0 lines", tile_at(0), 2},
      {"two blocks per walk, tile at block + 8 lines", tile_at(8), 2},
      {"two blocks per walk, tile at block + 16 lines", tile_at(16), 2},
      {"two blocks per walk, tile at block + 26 lines", tile_at(26), 2},
      {"two blocks per walk, tile at block + 36 lines", tile_at(36), 2},
      {"two blocks per walk, tile at block + 48 lines", tile_at(48), 2},
      {"same loads, no FMA chains, no stores", [&] {
         V a0{}, a1{};
         for (int64_t k = 0; k < K; ++k)
           for (int64_t ph = 0; ph < P; ++ph)
             for (int64_t pw = 0; pw < P; ++pw) {
               const auto [ys, ny, xs, nx] = bin_cells(k, ph, pw);
               for (int64_t r = 0; r < ny; ++r) {
                 const float* row = plane.data() + ys[r].offset;
                 int64_t c = 0;
                 for (; c + 1 < nx; c += 2) a0 += V::load(row + xs[c].offset), a1 += V::load(row + xs[c + 1].offset);
                 if (c < nx) a0 += V::load(row + xs[c].offset);
               }
             }
         sink += a0 + a1;
       }},
      {"two rows per pass (same bits)", [&] {
         for (int64_t k = 0; k < K; ++k)
           for (int64_t ph = 0; ph < P; ++ph)
             for (int64_t pw = 0; pw < P; ++pw) {
               const auto [ys, ny, xs, nx] = bin_cells(k, ph, pw);
               V acc{};
               int64_t r = 0;
               for (; r + 1 < ny; r += 2) {
                 const float *r0 = plane.data() + ys[r].offset, *r1 = plane.data() + ys[r + 1].offset;
                 V s0{}, s1{};
                 for (int64_t c = 0; c < nx; ++c)
                   s0 += xs[c].w * V::load(r0 + xs[c].offset), s1 += xs[c].w * V::load(r1 + xs[c].offset);
                 acc += ys[r].w * s0;
                 acc += ys[r + 1].w * s1;
               }
               if (r < ny) {
                 V s{};
                 for (int64_t c = 0; c < nx; ++c) s += xs[c].w * V::load(plane.data() + ys[r].offset + xs[c].offset);
                 acc += ys[r].w * s;
               }
               store_lanes(block + (ph * P + pw) * kB, acc / t.divisor[k]);
             }
       }},
      {"every bin 3x3 cells (loop exits predicted)", [&] {
         for (int64_t k = 0; k < K; ++k)
           for (int64_t ph = 0; ph < P; ++ph)
             for (int64_t pw = 0; pw < P; ++pw) {
               const auto [ys, ny, xs, nx] = bin_cells(k, ph, pw);
               (void)ny, (void)nx;  // reads neighbouring table entries: the cost, not the numbers
               V acc{};
               for (int r = 0; r < 3; ++r) {
                 V s{};
                 for (int c = 0; c < 3; ++c) s += xs[c].w * V::load(plane.data() + ys[r].offset + xs[c].offset);
                 acc += ys[r].w * s;
               }
               store_lanes(block + (ph * P + pw) * kB, acc / t.divisor[k]);
             }
       }},
  };
  const int rounds = 300;
  std::vector<std::vector<double>> ns(variants.size());
  std::vector<double> floor_ns;
  FloorCopy floor_copy(static_cast<std::size_t>(wl.floor_mb * 1e6));
  for (int round = 0; round < rounds; ++round) {
    const auto f = std::chrono::steady_clock::now();
    floor_copy();
    floor_ns.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - f).count());
    variants[1].run();  // both planes back in cache after the copy, as in a call
    for (std::size_t v = 0; v < variants.size(); ++v) {
      const auto a = std::chrono::steady_clock::now();
      variants[v].run();
      ns[v].push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - a).count() /
                      variants[v].blocks);
      ++output.pass;
    }
  }
  std::printf("%s: %lld bins per block, %.2f cells and %.2f rows per bin\n", wl.name, static_cast<long long>(bins),
              cells / static_cast<double>(bins), rows / static_cast<double>(bins));
  for (std::size_t v = 0; v < variants.size(); ++v) {
    std::vector<double> ratio(rounds), sorted = ns[v];
    for (int i = 0; i < rounds; ++i) ratio[i] = ns[0][i] / ns[v][i];
    std::sort(ratio.begin(), ratio.end());
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> floors(rounds);
    for (int i = 0; i < rounds; ++i) floors[i] = ns[v][i] * static_cast<double>(wl.blocks_per_call) / floor_ns[i];
    std::sort(floors.begin(), floors.end());
    std::printf("  %-44s %6.1f ns per bin (%.2f per cell), %.2fx the library's speed, a call's bins %.2f floors\n",
                variants[v].name, sorted[rounds / 2] / static_cast<double>(bins), sorted[rounds / 2] / cells,
                ratio[rounds / 2], floors[rounds / 2]);
  }
  std::sort(floor_ns.begin(), floor_ns.end());
  std::printf("  (floor %.2f ms)\n", floor_ns[rounds / 2] / 1e6);
  float out[kB];
  store_lanes(out, sink + V::load(block));
  if (out[0] == 12345.0f) std::puts("");  // keeps the variants' results alive
}

}  // namespace

int main() {
  // W3: 4 images x 16 blocks, maps 14 MB, output 103 MB; W4: 32 blocks, 4 MB and 30 MB (traffic.py).
  run({"W3 (one image: [50, 68] plane, 512 RoIs, scale 1/16, 7x7, adaptive sampling)", 50, 68, 512, 7, 1.0 / 16, 64,
       (13.9 + 102.8) / 2, 4, 256});
  run({"W4 ([38, 50] plane, 300 RoIs, scale 1/16, 7x7, adaptive sampling)", 38, 50, 300, 7, 1.0 / 16, 32,
       (3.9 + 30.1) / 2, 1, 512});
  return 0;
}
