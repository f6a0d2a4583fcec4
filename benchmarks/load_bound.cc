// How near the staged-plane kernels can come to their floor targets on this machine, in floors,
// timed in alternation so the machine's drift weighs on every part alike.
//
// A RoIAlign-type op here must (1) move the floor's bytes (read the maps, write the output) and
// (2) make its 64-byte loads from the staged block plane (traffic.py counts them per workload;
// M1's per FPN map). Per workload, in turns (twelve rounds, the first dropped, medians):
//   floor   memcpy of (maps + output) / 2 bytes: the bench's floor (np.copyto is memcpy);
//   stream  the op's own bytes: the maps read once, the output written with non-temporal
//           stores as the kernels write it (the two side by side, line for line);
//   loads   the plane loads alone, an FMA each, eight in flight (random_loads.cc's loop);
//   both    the loads with the stream's lines spread evenly among them in one loop.
// "hidden" is how much of the stream the core hid behind the loads: (loads + stream - both) /
// stream; near zero or below, the two add up, and no kernel of this design takes less than
// (loads + stream) / floor floors. The bins' own arithmetic, the tables and the transposition
// come on top. RESULTS.md quotes the figures:
//
//   g++ -O2 -march=native -o /tmp/load_bound benchmarks/load_bound.cc && /tmp/load_bound
#include <emmintrin.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "turns.h"

typedef float Lanes __attribute__((vector_size(64)));

namespace {

struct Plane {
  double mb;         // staged plane size, MB
  double loads;      // 64-byte loads from it per call, millions
};

struct Workload {
  const char* name;
  std::vector<Plane> planes;
  double maps_mb, output_mb;  // traffic.py's figures
  double target;              // the bound, in floors
};

// One workload's buffers: the planes back to back, the load sequence (plane by plane, random cells
// of each), the floor copy, and the maps and output the stream moves.
struct Work {
  std::vector<Lanes> planes;          // staged, on 4 KB pages as the library's
  huge_vector<Lanes> maps, output;    // the bench's tensors: huge pages
  FloorCopy floor;
  std::vector<int> cell;
  Lanes sum = {};

  explicit Work(const Workload& w) : floor(static_cast<std::size_t>((w.maps_mb + w.output_mb) / 2 * 1e6)) {
    long first = 0;
    std::mt19937 rng(1);
    for (const Plane& p : w.planes) {
      const long cells = static_cast<long>(p.mb * 1e6 / 64);
      for (long i = 0; i < static_cast<long>(p.loads * 1e6); ++i) cell.push_back(static_cast<int>(first + rng() % cells));
      first += cells;
    }
    planes.resize(first);
    for (long i = 0; i < first; ++i) planes[i] = Lanes{} + static_cast<float>(i % 7);
    maps.assign(static_cast<long>(w.maps_mb * 1e6 / 64), Lanes{} + 1.0f);
    output.assign(static_cast<long>(w.output_mb * 1e6 / 64), Lanes{});
  }

  long stream_lines() const { return static_cast<long>(std::max(maps.size(), output.size())); }

  // Line `line` of the stream: the maps' line read (into `read`), the output's written.
  void stream_line(long line, Lanes& read) {
    if (line < static_cast<long>(maps.size())) read += maps[line];
    if (line < static_cast<long>(output.size())) {
      float* to = reinterpret_cast<float*>(&output[line]);
      const __m128* from = reinterpret_cast<const __m128*>(&read);
      for (int q = 0; q < 4; ++q) _mm_stream_ps(to + 4 * q, from[q]);  // one line, write-combined
    }
  }

  void stream() {
    Lanes read = {};
    for (long line = 0; line < stream_lines(); ++line) stream_line(line, read);
    _mm_sfence();
    sum += read;
  }

  template <bool kStream>
  void loads() {
    const long n = static_cast<long>(cell.size()) / 8 * 8, lines = stream_lines();
    Lanes a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {}, read = {};
    long line = 0;
    for (long i = 0; i < n; i += 8) {
      a0 += 0.5f * planes[cell[i]];
      a1 += 0.5f * planes[cell[i + 1]];
      a2 += 0.5f * planes[cell[i + 2]];
      a3 += 0.5f * planes[cell[i + 3]];
      a4 += 0.5f * planes[cell[i + 4]];
      a5 += 0.5f * planes[cell[i + 5]];
      a6 += 0.5f * planes[cell[i + 6]];
      a7 += 0.5f * planes[cell[i + 7]];
      for (const long due = kStream ? (i + 8) * lines / n : 0; line < due; ++line) stream_line(line, read);
    }
    if (kStream) _mm_sfence();
    sum += a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + read;
  }
};

}  // namespace

int main() {
  const Workload workloads[] = {
      {"W1", {{3.48, 9.0}}, 56, 50, 3},
      {"W2", {{3.48, 2.9}}, 56, 20, 3},
      {"W3", {{0.22, 12.8}}, 14, 103, 3},
      {"W4", {{0.12, 3.9}}, 4, 30, 6},
      {"M1", {{3.48, 4.1}, {0.87, 2.4}, {0.22, 1.4}, {0.05, 0.1}}, 74, 50, 3},
      {"R1", {{3.48, 12.5}}, 56, 50, 3},
  };
  std::printf("| workload | floor ms | stream / floor | loads / floor | both / floor | hidden | "
              "(loads + stream) / floor | target |\n|---|---|---|---|---|---|---|---|\n");
  for (const Workload& w : workloads) {
    Work work(w);
    std::vector<double> floor, stream, loads, both, hidden;
    for (int round = 0; round < 12; ++round) {
      const double f = ms(work.floor), s = ms([&] { work.stream(); });
      const double l = ms([&] { work.loads<false>(); }), b = ms([&] { work.loads<true>(); });
      if (round == 0) continue;  // pages and caches warm up
      floor.push_back(f), stream.push_back(s / f), loads.push_back(l / f), both.push_back(b / f);
      hidden.push_back((l + s - b) / s);
    }
    const double bound = median(loads) + median(stream);
    std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.0f%% | %.2f | %s %.0f |\n", w.name, median(floor), median(stream),
                median(loads), median(both), 100 * median(hidden), bound, bound > w.target ? "above" : "within",
                w.target);
    if (work.sum[0] == 12345.f) std::printf("(checksum)\n");  // keeps the loads' results alive
  }
}
