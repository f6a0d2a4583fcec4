// What CropAndResize's pixels cost on their own on C1 (1000 boxes, 14x14 crops, 256 channels of a
// 200x272 map): each pixel of each 16-channel block is four 64-byte loads from the staged
// [H, W, 16] plane (two pairs of adjacent cells), three lerps and a store into the box's
// L1-resident block, as crop_box in ops/cpu/crop_and_resize_cpu.cc does, with no staging, no
// transposition and no output write. Boxes drawn as the bench draws C1's (sides log-uniform in
// 16-600 pixels of an 800x1088 image). A call is the 16 blocks' passes over one plane; calls take
// turns with C1's floor (the bench's: a copy of (maps + output) / 2 = 128 MB, here memcpy) so the
// machine's drift weighs on both alike, and the figure to read is the median ratio of the turns.
// RESULTS.md sets it against what C1's floor target leaves for the pixels:
//
//   g++ -O2 -march=native -o /tmp/crop_loads benchmarks/crop_loads.cc && /tmp/crop_loads
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

typedef float Lanes __attribute__((vector_size(64)));

struct Tap {
  long lo, hi;  // cell offsets (in Lanes) of the two neighbours along the axis
  float frac;
};

// TensorFlow's crop position of sample i of `crop` between normalised a and b, as a tap on an axis
// of `size` cells `stride` Lanes apart; C1's boxes lie inside the image, so every tap is valid.
Tap tap(double a, double b, long size, int crop, int i, long stride) {
  const double pos = a * (size - 1) + i * (b - a) * (size - 1) / (crop - 1);
  const long lo = static_cast<long>(std::floor(pos));
  return {lo * stride, std::min(lo + 1, size - 1) * stride, static_cast<float>(pos - lo)};
}

int main() {
  constexpr long kH = 200, kW = 272, kBoxes = 1000, kBlocks = 16;
  constexpr int kCrop = 14;
  std::vector<Lanes> plane(kH * kW);
  for (long i = 0; i < kH * kW; ++i) plane[i] = Lanes{} + static_cast<float>(i % 7);
  std::mt19937 rng(1234);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Tap> taps;  // per box: kCrop row taps, then kCrop column taps
  for (long k = 0; k < kBoxes; ++k) {
    const double img_h = 800, img_w = 1088;
    const double h = std::min(std::exp(std::log(16.0) + unit(rng) * std::log(600.0 / 16)), img_h - 1);
    const double w = std::min(std::exp(std::log(16.0) + unit(rng) * std::log(600.0 / 16)), img_w - 1);
    const double y1 = unit(rng) * (img_h - h), x1 = unit(rng) * (img_w - w);
    for (int i = 0; i < kCrop; ++i) taps.push_back(tap(y1 / img_h, (y1 + h) / img_h, kH, kCrop, i, kW));
    for (int j = 0; j < kCrop; ++j) taps.push_back(tap(x1 / img_w, (x1 + w) / img_w, kW, kCrop, j, 1));
  }
  static Lanes block[kCrop * kCrop];
  float checksum = 0;
  auto pixels = [&] {
    for (long b = 0; b < kBlocks; ++b) {
      for (long k = 0; k < kBoxes; ++k) {
        const Tap* rows = taps.data() + k * 2 * kCrop;
        const Tap* cols = rows + kCrop;
        Lanes* out = block;
        for (int i = 0; i < kCrop; ++i) {
          const Lanes* top = plane.data() + rows[i].lo;
          const Lanes* bottom = plane.data() + rows[i].hi;
          for (int j = 0; j < kCrop; ++j, ++out) {
            const Tap c = cols[j];
            const Lanes upper = top[c.lo] + (top[c.hi] - top[c.lo]) * c.frac;
            const Lanes lower = bottom[c.lo] + (bottom[c.hi] - bottom[c.lo]) * c.frac;
            *out = upper + (lower - upper) * rows[i].frac;
          }
        }
        asm volatile("" : : "r"(block) : "memory");  // the block is read after each box, as the kernel's is
      }
      checksum += block[kCrop * kCrop - 1][0];
    }
  };
  const long copy_bytes = (kH * kW * 256 + kBoxes * 256 * kCrop * kCrop) * 4 / 2;  // (maps + output) / 2
  std::vector<char> src(copy_bytes, 1), dst(copy_bytes, 0);
  auto floor_copy = [&] {
    std::memcpy(dst.data(), src.data(), copy_bytes);
    asm volatile("" : : "r"(dst.data()) : "memory");
  };
  auto ms = [](auto&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  pixels();
  floor_copy();
  std::vector<double> t_pixels, t_floor, ratio;
  for (int turn = 0; turn < 21; ++turn) {
    t_pixels.push_back(ms(pixels));
    t_floor.push_back(ms(floor_copy));
    ratio.push_back(t_pixels.back() / t_floor.back());
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double p = median(t_pixels), pixel_count = static_cast<double>(kBlocks) * kBoxes * kCrop * kCrop;
  std::printf("C1's pixels: %.1f ms a call (%.2f ns per 16-channel pixel, %.2f per load); floor %.1f ms; "
              "pixels / floor %.2f (median of 21 turns; checksum %g)\n",
              p, p * 1e6 / pixel_count, p * 1e6 / pixel_count / 4, median(t_floor), median(ratio),
              static_cast<double>(checksum));
}
