#include "channel_blocks.h"

#include <algorithm>

#include "isa.h"
#include "lanes.h"
#include "stage_f16c.h"

namespace roi_ops::cpu {
namespace {

// out[i * kB + j] = in[j][i] for i < run and j < count, 0 for count <= j < kB (in[] has kB
// entries). kB cells at a time go through registers: kB channel vectors in, transposed
// (lanes.h), kB cell vectors out; as a scalar loop this was most of W6's time and a tenth of W1's.
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void interleave(const A* const* in, int64_t count, int64_t run, A* out) {
  constexpr int kB = block_channels<A>();
  int64_t i = 0;
  // Each of the kB planes' lines kAhead cells on is asked for (into L2) as a cell block is loaded:
  // kB sequential read streams at once were more than the hardware prefetcher kept ahead of (on
  // the Zen 4, both load orders of paired.py libs: W1 1.06-1.10x, W2 1.07-1.10x, W3 1.04-1.13x, W4
  // 1.07-1.09x, C1 1.02-1.17x; 512 cells ahead about the same).
  constexpr int64_t kAhead = 128;
  if (count == kB && run >= kB) {
    const auto cells = [&](int64_t at) ROI_OPS_LAMBDA_INLINE {
      if (at + kAhead < run)
        for (int j = 0; j < kB; ++j) __builtin_prefetch(in[j] + at + kAhead, 0, 2);
      V v[kB];
      for (int j = 0; j < kB; ++j) v[j] = V::load(in[j] + at);
      transpose_lanes(v);
      for (int j = 0; j < kB; ++j) store_lanes(out + (at + j) * kB, v[j]);
    };
    for (; i + kB <= run; i += kB) cells(i);
    // The last kB cells once more for a ragged end (cells already written get the same values):
    // a cell at a time, the few-RoI rows of W6 (runs of 17-126 cells) spent a tenth of their
    // staging in this tail.
    if (i < run) cells(run - kB);
    return;
  }
  for (; i < run; ++i)
    for (int j = 0; j < kB; ++j) out[i * kB + j] = j < count ? in[j][i] : A(0);
}

// Staging with a conversion, where stage_f16c.h does not apply (a partial block, or no F16C): a
// run of cells at a time, `count` channel runs converted into a buffer, then interleaved into
// [run, kB]. A window as wide as the map is contiguous, so its runs span whole rows, up to
// kStageRun cells: a map row at a time (W2: 272 halves), each channel's read stream was too short
// for the hardware prefetcher (float16 W1-W3 1.06-1.15x faster in runs of rows on an AMD EPYC).
template <typename V, typename S, typename A, typename LoadRow>
ROI_OPS_ALWAYS_INLINE void stage(const S* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride,
                                 int64_t count, const Window& win, A* dst, LoadRow load_row) {
  constexpr int kB = block_channels<A>();
  constexpr int64_t kStageRun = 2048;  // 16 channels' floats: 128 KB, inside L2
  const int64_t width = win.x1 - win.x0;
  if (win.area() == 0) return;
  const bool whole = win.x0 == 0 && win.x1 == s.w;
  const int64_t rows_per_run = whole ? std::max<int64_t>(1, kStageRun / width) : 1;
  thread_local std::vector<A> runs;
  runs.resize(static_cast<std::size_t>(kB * width * rows_per_run));
  for (int64_t h = win.y0; h < win.y1; h += rows_per_run) {
    const int64_t run = std::min(rows_per_run, win.y1 - h) * width;
    const A* in[kB];
    for (int64_t j = 0; j < kB; ++j) in[j] = runs.data() + std::min(j, count - 1) * run;
    for (int64_t j = 0; j < count; ++j)
      load_row(src + ((n * s.c + c0 + j * stride) * s.h + h) * s.w + win.x0, runs.data() + j * run, run);
    interleave<V>(in, count, run, dst + (h * s.w + win.x0) * kB);
  }
}

// The runs of a window: the whole map is one run of cells; a window is one run per row.
inline int64_t window_run(const MapShape& s, const Window& win) {
  return win.x0 == 0 && win.x1 == s.w ? (win.y1 - win.y0) * s.w : win.x1 - win.x0;
}

// Staging that interleaves straight from the `count` source planes: one pass, `count` sequential
// read streams, one sequential write stream per run. interleave_run(in, run, first) stages cells
// [first, first + run) of the kB planes in[] (the last one repeated past `count`).
template <int kB, typename S, typename InterleaveRun>
ROI_OPS_ALWAYS_INLINE void stage_direct(const S* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride,
                                        int64_t count, const Window& win, InterleaveRun interleave_run) {
  if (win.area() == 0) return;
  const int64_t hw = s.h * s.w;
  const S* planes[kB];
  for (int64_t j = 0; j < kB; ++j) planes[j] = src + (n * s.c + c0 + std::min<int64_t>(j, count - 1) * stride) * hw;
  const int64_t run = window_run(s, win);
  const int64_t rows = (win.y1 - win.y0) * (win.x1 - win.x0) / run;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t first = (win.y0 + r) * s.w + win.x0;
    const S* in[kB];
    for (int j = 0; j < kB; ++j) in[j] = planes[j] + first;
    interleave_run(in, run, first);
  }
}

template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void stage_same_type(const A* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride,
                                           int64_t count, const Window& win, A* dst) {
  constexpr int kB = block_channels<A>();
  const auto run = [&](const A* const* in, int64_t cells, int64_t first) ROI_OPS_LAMBDA_INLINE {
    interleave<V>(in, count, cells, dst + first * kB);
  };
  stage_direct<kB>(src, s, n, c0, stride, count, win, run);
}

// The runs' cells one at a time: a gather of `count` channels, each from its own plane.
template <typename S, typename A, typename Load>
void stage_run_cells(const S* src, const MapShape& s, int64_t n, int64_t c0, int64_t count, const int64_t* runs,
                     int64_t nruns, A* dst, Load load) {
  constexpr int kB = block_channels<A>();
  const int64_t hw = s.h * s.w;
  const S* planes = src + (n * s.c + c0) * hw;
  for (int64_t r = 0; r < nruns; ++r)
    for (int64_t cell = runs[r]; cell < std::min(runs[r] + kB, hw); ++cell) {
      A* out = dst + cell * kB;
      for (int64_t j = 0; j < count; ++j) out[j] = load(planes[j * hw + cell]);
      for (int64_t j = count; j < kB; ++j) out[j] = A(0);
    }
}

// A full block of channels: each run's kB cells of the kB planes transposed in registers by
// interleave.
template <typename V, typename A>
ROI_OPS_ALWAYS_INLINE void stage_runs(const A* src, const MapShape& s, int64_t n, int64_t c0, int64_t count,
                                      const int64_t* runs, int64_t nruns, A* dst) {
  constexpr int kB = block_channels<A>();
  const int64_t hw = s.h * s.w;
  if (count != kB || hw < kB) return stage_run_cells(src, s, n, c0, count, runs, nruns, dst, [](A v) { return v; });
  const A* planes = src + (n * s.c + c0) * hw;
  // The 16 planes' lines of the run kAhead runs on are asked for (into L2) as each run is staged:
  // a run's 16 lines come from 16 planes, a pattern the hardware prefetcher does not follow (W6
  // RoIAlignRotated 1.05-1.08x in both load orders, 16 cells ahead; 8 or 48 cells 0.97-1.06x;
  // 2 runs are about 20 cells, 1 or 4 runs 0.99-1.00x of 2). Two prefetches cover the run's one
  // or two lines; prefetch_run's loop here cost 5%.
  constexpr int64_t kAhead = 2;
  for (int64_t r = 0; r < nruns; ++r) {
    if (r + kAhead < nruns)
      for (int j = 0; j < kB; ++j) {
        __builtin_prefetch(planes + j * hw + runs[r + kAhead], 0, 2);
        __builtin_prefetch(planes + j * hw + runs[r + kAhead] + kB - 1, 0, 2);
      }
    const A* in[kB];
    for (int j = 0; j < kB; ++j) in[j] = planes + j * hw + runs[r];
    interleave<V>(in, kB, kB, dst + runs[r] * kB);
  }
}

}  // namespace

ROI_OPS_ISA_CLONES void stage_channel_runs(const float* src, const MapShape& s, int64_t n, int64_t c0, int64_t count,
                                           const int64_t* runs, int64_t nruns, float* dst) {
  if (wide_lanes()) return stage_runs<Lanes<float>>(src, s, n, c0, count, runs, nruns, dst);
  stage_runs<Quarters<float>>(src, s, n, c0, count, runs, nruns, dst);
}

ROI_OPS_ISA_CLONES void stage_channel_runs(const double* src, const MapShape& s, int64_t n, int64_t c0,
                                           int64_t count, const int64_t* runs, int64_t nruns, double* dst) {
  if (wide_lanes()) return stage_runs<Lanes<double>>(src, s, n, c0, count, runs, nruns, dst);
  stage_runs<Quarters<double>>(src, s, n, c0, count, runs, nruns, dst);
}

void stage_channel_runs(const Half* src, const MapShape& s, int64_t n, int64_t c0, int64_t count,
                        const int64_t* runs, int64_t nruns, float* dst) {
#ifdef ROI_OPS_HAVE_F16C_STAGING
  constexpr int kB = block_channels<float>();
  const int64_t hw = s.h * s.w;
  if (count == kB && hw >= kB && cpu_has_f16c()) {
    const Half* planes = src + (n * s.c + c0) * hw;
    for (int64_t r = 0; r < nruns; ++r) {
      const Half* in[kB];
      for (int j = 0; j < kB; ++j) in[j] = planes + j * hw + runs[r];
      interleave_halves_f16c(in, kB, dst + runs[r] * kB);
    }
    return;
  }
#endif
  stage_run_cells(src, s, n, c0, count, runs, nruns, dst, [](Half v) { return half_to_float(v); });
}

ROI_OPS_ISA_CLONES void stage_channel_block(const float* src, const MapShape& s, int64_t n, int64_t c0,
                                            int64_t stride, int64_t count, const Window& win, float* dst) {
  if (wide_lanes()) return stage_same_type<Lanes<float>>(src, s, n, c0, stride, count, win, dst);
  stage_same_type<Quarters<float>>(src, s, n, c0, stride, count, win, dst);
}

ROI_OPS_ISA_CLONES void stage_channel_block(const double* src, const MapShape& s, int64_t n, int64_t c0,
                                            int64_t stride, int64_t count, const Window& win, double* dst) {
  if (wide_lanes()) return stage_same_type<Lanes<double>>(src, s, n, c0, stride, count, win, dst);
  stage_same_type<Quarters<double>>(src, s, n, c0, stride, count, win, dst);
}

ROI_OPS_ISA_CLONES void stage_channel_block(const Half* src, const MapShape& s, int64_t n, int64_t c0,
                                            int64_t stride, int64_t count, const Window& win, float* dst) {
#ifdef ROI_OPS_HAVE_F16C_STAGING
  constexpr int kB = block_channels<float>();
  if (count == kB && window_run(s, win) >= 8 && cpu_has_f16c()) {
    const auto run = [&](const Half* const* in, int64_t cells, int64_t first) ROI_OPS_LAMBDA_INLINE {
      interleave_halves_f16c(in, cells, dst + first * kB);
    };
    return stage_direct<kB>(src, s, n, c0, stride, count, win, run);
  }
#endif
  const auto load_row = [](const Half* in, float* out, int64_t len) {
    halves_to_floats(in, out, static_cast<std::size_t>(len));
  };
  if (wide_lanes()) return stage<Lanes<float>>(src, s, n, c0, stride, count, win, dst, load_row);
  stage<Quarters<float>>(src, s, n, c0, stride, count, win, dst, load_row);
}

}  // namespace roi_ops::cpu
