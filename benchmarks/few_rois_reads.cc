// What W6's RoIAlign must read, timed alone: the map rows its three RoIs' samples read (the whole
// width of each RoI's window, as the kernel stages them), read once per call in three ways: one
// channel at a time, sixteen channel planes per row at a time (the staging's read order), and that
// with each cell's sixteen channels written into a staged [H, W, 16] plane (the staging's traffic,
// without its transposition). The map is [1, 256, 200, 272] float32, as W6's; the boxes are W6's
// (roi_ops.bench.cases, seed 1234). Median of 400 calls, 1 thread. Built for the machine it runs on:
//
//   g++ -O2 -march=native -o /tmp/few_rois_reads benchmarks/few_rois_reads.cc && /tmp/few_rois_reads
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

typedef float Cell __attribute__((vector_size(64)));  // 16 float32 channels: one staged cell
typedef float Half __attribute__((vector_size(32)));

// Sums of what the read-only loops load, in four independent 32-byte chains: a 64-byte GCC vector
// has no register without AVX-512, so one Cell accumulator made an add chain through the stack
// that ran slower than the reads (on an AMD EPYC, read only took 2-3x the time of read + write).
struct Sums {
  Half acc[4] = {};
  int next = 0;
  void add(const float* p) {
    Half lo, hi;
    std::memcpy(&lo, p, sizeof lo);
    std::memcpy(&hi, p + 8, sizeof hi);
    acc[next] += lo;
    acc[next + 1] += hi;
    next ^= 2;
  }
  float total() const { return (acc[0] + acc[1] + acc[2] + acc[3])[0]; }
};

namespace {

constexpr int kC = 256, kH = 200, kW = 272, kBlock = 16, kOut = 14, kRatio = 2;
constexpr double kScale = 0.25;

struct Roi {
  std::vector<int> rows;  // the map rows its samples read
  int x0, x1;             // its window's columns [x0, x1)
};

// By reference: a 64-byte vector returned by value changes the ABI without AVX-512.
void load(Cell& v, const float* p) { std::memcpy(&v, p, sizeof v); }

template <typename Fn>
void time(const char* name, Fn fn) {
  std::vector<double> ms;
  float sink = 0;
  for (int rep = 0; rep < 400; ++rep) {
    const auto a = std::chrono::steady_clock::now();
    sink += fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("  %-52s %.3f ms%s\n", name, ms[ms.size() / 2], sink == 12345.0f ? " " : "");
}

}  // namespace

int main() {
  std::vector<float> map(static_cast<std::size_t>(kC) * kH * kW);
  for (std::size_t i = 0; i < map.size(); ++i) map[i] = static_cast<float>(i % 7);
  std::vector<float> plane(static_cast<std::size_t>(kH) * kW * kBlock);
  const double boxes[3][4] = {{70.69219, 6.9788976, 575.78345, 313.60068},  // x1, y1, x2, y2 (image px)
                              {733.6727, 182.1173, 844.46985, 208.75848},
                              {584.19025, 116.20328, 654.0122, 167.47531}};
  std::vector<Roi> rois;
  std::size_t cells = 0;
  for (const auto& b : boxes) {
    Roi r;
    const double y1 = b[1] * kScale, h = (b[3] - b[1]) * kScale;
    for (int i = 0; i < kOut * kRatio; ++i) {  // sample rows, each reading its cell and the next
      const int y = static_cast<int>(std::floor(y1 + (i + 0.5) * h / (kOut * kRatio)));
      r.rows.push_back(y);
      if (y + 1 < kH) r.rows.push_back(y + 1);
    }
    std::sort(r.rows.begin(), r.rows.end());
    r.rows.erase(std::unique(r.rows.begin(), r.rows.end()), r.rows.end());
    r.x0 = static_cast<int>(std::floor(b[0] * kScale));
    r.x1 = std::min(kW, static_cast<int>(std::floor(b[2] * kScale)) + 2);
    cells += r.rows.size() * static_cast<std::size_t>(r.x1 - r.x0);
    rois.push_back(r);
  }
  std::printf("W6's rows: %zu cells x %d channels = %.2f MB\n", cells, kC, cells * kC * 4 / 1e6);
  auto row = [&](int c, int h) { return map.data() + (static_cast<std::size_t>(c) * kH + h) * kW; };
  time("one channel at a time", [&] {
    Sums sums;
    for (int c = 0; c < kC; ++c)
      for (const Roi& r : rois)
        for (int h : r.rows)
          for (int x = r.x0; x + kBlock <= r.x1; x += kBlock) sums.add(row(c, h) + x);
    return sums.total();
  });
  time("16 channel planes per row at a time", [&] {
    Sums sums;
    for (int c0 = 0; c0 < kC; c0 += kBlock)
      for (const Roi& r : rois)
        for (int h : r.rows)
          for (int j = 0; j < kBlock; ++j)
            for (int x = r.x0; x + kBlock <= r.x1; x += kBlock) sums.add(row(c0 + j, h) + x);
    return sums.total();
  });
  time("16 planes per row, written to a staged plane", [&] {
    for (int c0 = 0; c0 < kC; c0 += kBlock)
      for (const Roi& r : rois)
        for (int h : r.rows)
          for (int x = r.x0; x + kBlock <= r.x1; x += kBlock)
            for (int j = 0; j < kBlock; ++j) {
              Cell v;
              load(v, row(c0 + j, h) + x);
              std::memcpy(plane.data() + (static_cast<std::size_t>(h) * kW + x + j) * kBlock, &v, sizeof v);
            }
    return plane[12345];
  });
  return 0;
}
