// What CropAndResize's pixels and its output write cost on C1 (1000 boxes, 14x14 crops, 256
// channels of a 200x272 map), in C1 floors. Each pixel of each 16-channel block is four 64-byte
// loads from the staged [H, W, 16] plane (two pairs of adjacent cells), three lerps and a store
// into the box's L1-resident block, as crop_box in ops/cpu/crop_and_resize_cpu.cc does; no
// staging, no transposition. Boxes drawn as the bench draws C1's (sides log-uniform in 16-600
// pixels of an 800x1088 image). A call is the 16 blocks' passes over one plane, in four forms
// that take turns with C1's floor (the bench's: a copy of (maps + output) / 2 = 128 MB, here
// memcpy), so the machine's drift weighs on all alike; the figures are medians of the per-turn
// ratios to the floor:
//   pixels       the pixels alone;
//   + output     each box's block then written to its 12.5 KB of the 200 MB output with
//                non-temporal stores, as the kernel's write_rows does;
//   interleaved  the previous box's block written a crop row's worth (14 lines) after each of
//                this box's crop rows, which a kernel could do to hide the stream behind loads;
//   banded       the plane taken in bands of 32 rows (557 KB, within a Zen 4 core's 1 MB of L2),
//                every box's crop rows whose top row lies in the band computed into the box's
//                block in a 12.5 MB array of all blocks, which are streamed out after the last
//                band: the crop loads from L2 instead of L3, the blocks out of L1;
//   one band     the same with the whole plane as one band: what the blocks' array alone costs.
// RESULTS.md sets them against C1's ≤ 2x floor target:
//
//   g++ -O2 -march=native -o /tmp/crop_loads benchmarks/crop_loads.cc && /tmp/crop_loads
#include <emmintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "bench_boxes.h"
#include "turns.h"

typedef float Lanes __attribute__((vector_size(64)));

namespace {

constexpr long kH = 200, kW = 272, kBoxes = 1000, kBlocks = 16;
constexpr int kCrop = 14, kPixels = kCrop * kCrop;

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

void stream(Lanes* to, const Lanes* from, int lines) {
  for (int l = 0; l < lines; ++l)
    for (int q = 0; q < 4; ++q)  // one line, write-combined
      _mm_stream_ps(reinterpret_cast<float*>(to + l) + 4 * q, reinterpret_cast<const __m128*>(from + l)[q]);
}

enum Output { kNone, kAfterBox, kInterleaved };

struct Crop {
  std::vector<Lanes> plane = std::vector<Lanes>(kH * kW);
  huge_vector<Lanes> out;  // as the library's streamed output, on huge pages
  std::vector<Tap> taps;  // per box: kCrop row taps, then kCrop column taps
  Lanes block[2][kPixels];
  float checksum = 0;

  std::vector<Lanes> blocks = std::vector<Lanes>(kBoxes * kPixels);  // banded: every box's block

  // One crop row's kCrop pixels into px: four loads, three lerps and a store each.
  __attribute__((always_inline)) void crop_row(const Tap& r, const Tap* cols, Lanes* px) {
    const Lanes* top = plane.data() + r.lo;
    const Lanes* bottom = plane.data() + r.hi;
    for (int j = 0; j < kCrop; ++j, ++px) {
      const Tap c = cols[j];
      const Lanes upper = top[c.lo] + (top[c.hi] - top[c.lo]) * c.frac;
      const Lanes lower = bottom[c.lo] + (bottom[c.hi] - bottom[c.lo]) * c.frac;
      *px = upper + (lower - upper) * r.frac;
    }
  }

  void banded(long band_rows) {
    Lanes* y = out.data();
    for (long b = 0; b < kBlocks; ++b) {
      for (long r0 = 0; r0 < kH; r0 += band_rows) {
        const long first = r0 * kW, end = std::min(kH, r0 + band_rows) * kW;  // top rows' offsets
        for (long k = 0; k < kBoxes; ++k) {
          const Tap* rows = taps.data() + k * 2 * kCrop;
          const Tap* cols = rows + kCrop;
          Lanes* const box = blocks.data() + k * kPixels;
          for (int i = 0; i < kCrop; ++i)
            if (rows[i].lo >= first && rows[i].lo < end) crop_row(rows[i], cols, box + i * kCrop);
        }
      }
      for (long k = 0; k < kBoxes; ++k, y += kPixels) stream(y, blocks.data() + k * kPixels, kPixels);
      checksum += blocks[kPixels - 1][0];
    }
    _mm_sfence();
  }

  template <Output kOut>
  void call() {
    Lanes* y = out.data();
    const Lanes* pending = nullptr;  // kInterleaved: the previous box's block, written during this box
    for (long b = 0; b < kBlocks; ++b) {
      for (long k = 0; k < kBoxes; ++k, y += kPixels) {
        const Tap* rows = taps.data() + k * 2 * kCrop;
        const Tap* cols = rows + kCrop;
        Lanes* const box = block[k & 1];
        for (int i = 0; i < kCrop; ++i) {
          crop_row(rows[i], cols, box + i * kCrop);
          if (kOut == kInterleaved && pending) stream(y - kPixels + i * kCrop, pending + i * kCrop, kCrop);
        }
        asm volatile("" : : "r"(box) : "memory");  // the block is read after each box, as the kernel's is
        if (kOut == kAfterBox) stream(y, box, kPixels);
        if (kOut == kInterleaved) pending = box;
      }
      checksum += block[0][kPixels - 1][0];
    }
    if (kOut == kInterleaved) stream(y - kPixels, pending, kPixels);
    _mm_sfence();
  }
};

}  // namespace

int main() {
  Crop crop;
  for (long i = 0; i < kH * kW; ++i) crop.plane[i] = Lanes{} + static_cast<float>(i % 7);
  crop.out.resize(kBlocks * kBoxes * kPixels);
  std::mt19937 rng(1234);
  for (long k = 0; k < kBoxes; ++k) {
    const double img_h = 800, img_w = 1088;
    const auto [y1, x1, h, w] = draw_bench_box(rng, img_h, img_w);
    for (int i = 0; i < kCrop; ++i) crop.taps.push_back(tap(y1 / img_h, (y1 + h) / img_h, kH, kCrop, i, kW));
    for (int j = 0; j < kCrop; ++j) crop.taps.push_back(tap(x1 / img_w, (x1 + w) / img_w, kW, kCrop, j, 1));
  }
  const long copy_bytes = (kH * kW * 256 + kBoxes * 256 * kPixels) * 4 / 2;  // (maps + output) / 2
  FloorCopy floor_copy(copy_bytes);
  std::vector<double> floor, pixels, after_box, interleaved, bands, one_band;
  for (int turn = 0; turn < 16; ++turn) {
    const double f = ms(floor_copy), p = ms([&] { crop.call<kNone>(); });
    const double a = ms([&] { crop.call<kAfterBox>(); }), i = ms([&] { crop.call<kInterleaved>(); });
    const double b = ms([&] { crop.banded(32); }), o = ms([&] { crop.banded(kH); });
    if (turn == 0) continue;  // pages and caches warm up
    floor.push_back(f), pixels.push_back(p / f), after_box.push_back(a / f), interleaved.push_back(i / f);
    bands.push_back(b / f), one_band.push_back(o / f);
  }
  const double f = median(floor), pixel_count = static_cast<double>(kBlocks) * kBoxes * kPixels;
  std::printf("C1 floor %.1f ms; in floors: pixels %.2f (%.2f ns per load), + output %.2f, interleaved %.2f, "
              "banded %.2f, one band %.2f (medians of 15 turns; checksum %g)\n",
              f, median(pixels), median(pixels) * f * 1e6 / pixel_count / 4, median(after_box), median(interleaved),
              median(bands), median(one_band), static_cast<double>(crop.checksum));
}
