// The time of one 64-byte load from a random cell of a staged block plane, for plane sizes from
// L2-resident to a whole map: what the RoI kernels' bins pay per cell they read (traffic.py
// counts those loads per workload). Eight independent accumulators, as many loads in flight as
// the core allows; best of five passes. Built for the machine it runs on:
//
//   g++ -O2 -march=native -o /tmp/random_loads benchmarks/random_loads.cc && /tmp/random_loads
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

typedef float Lanes __attribute__((vector_size(64)));

int main() {
  constexpr long kLoads = 9000000;  // W1's count (traffic.py)
  for (long bytes : {32L << 10, 256L << 10, 1L << 20, 2L << 20, 3500L << 10, 56L << 20}) {
    const long cells = bytes / 64;
    std::vector<Lanes> plane(cells);
    for (long i = 0; i < cells; ++i) plane[i] = Lanes{} + static_cast<float>(i % 7);
    std::vector<int> cell(kLoads);
    std::mt19937 rng(1);
    for (auto& c : cell) c = static_cast<int>(rng() % cells);
    // Named accumulators: an array of them lives in memory and the loop times store forwarding.
    Lanes a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};
    double best = 1e30;
    for (int pass = 0; pass < 5; ++pass) {
      const auto t0 = std::chrono::steady_clock::now();
      for (long i = 0; i < kLoads; i += 8) {
        a0 += 0.5f * plane[cell[i]];
        a1 += 0.5f * plane[cell[i + 1]];
        a2 += 0.5f * plane[cell[i + 2]];
        a3 += 0.5f * plane[cell[i + 3]];
        a4 += 0.5f * plane[cell[i + 4]];
        a5 += 0.5f * plane[cell[i + 5]];
        a6 += 0.5f * plane[cell[i + 6]];
        a7 += 0.5f * plane[cell[i + 7]];
      }
      best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    const Lanes sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    std::printf("%6ld KB plane: %6.1f ms for %ld random 64-byte loads, %.2f ns each (checksum %g)\n", bytes >> 10,
                best, kLoads, best * 1e6 / kLoads, static_cast<double>(sum[0]));
  }
}
