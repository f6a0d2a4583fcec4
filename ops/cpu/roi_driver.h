// The outer loops shared by the channel-blocked RoI kernels: read every RoI, answer non-finite
// ones with NaN (docs/spec.md, "Common rules"), then run each task of the BlockPlan on its staged
// channel block and write each RoI's results.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../math/roi_align_rotated.h"
#include "../math/rois.h"
#include "block_plan.h"
#include "channel_blocks.h"
#include "parallel.h"
#include "roi_output.h"
#include "shapes.h"

namespace roi_ops::cpu {

// boxes[k] and batch[k] for every RoI; batch[k] = -1 marks a RoI whose output is already NaN.
template <typename T>
void read_boxes(const RoiSet<T>& rois, int64_t roi_block, T* y, std::vector<math::Box<double>>& boxes,
                std::vector<int64_t>& batch) {
  boxes.resize(static_cast<std::size_t>(rois.count));
  batch.resize(boxes.size());
  for (int64_t k = 0; k < rois.count; ++k) {
    boxes[k] = math::read_box<double>(rois.rois, rois.cols, rois.batch_indices, k, ReadAsDouble<T>{});
    batch[k] = boxes[k].batch;
    if (!math::box_is_finite(boxes[k])) {
      fill_nan(y + k * roi_block, roi_block);
      batch[k] = -1;
    }
  }
}

// As read_boxes, for rotated RoIs (cx, cy, w, h, angle).
template <typename T>
void read_rotated_boxes(const RoiSet<T>& rois, int64_t roi_block, T* y, std::vector<math::RotatedBox<double>>& boxes,
                        std::vector<int64_t>& batch) {
  boxes.resize(static_cast<std::size_t>(rois.count));
  batch.resize(boxes.size());
  for (int64_t k = 0; k < rois.count; ++k) {
    boxes[k] = math::read_rotated_box<double>(rois.rois, rois.cols, rois.batch_indices, k, ReadAsDouble<T>{});
    batch[k] = boxes[k].batch;
    if (!math::rotated_box_is_finite(boxes[k])) {
      fill_nan(y + k * roi_block, roi_block);
      batch[k] = -1;
    }
  }
}

// compute(plane, k, block) fills block [bins, kB] for RoI k from a staged channel-block plane.
// With kPlanes = 2 or 4 a task stages that many adjacent channel blocks into as many planes,
// block_plane_elements() apart, and compute(plane, planes, k, block) fills `planes` (up to
// kPlanes: a map's last blocks may be fewer) blocks [bins, kB], bins * kB apart, so that one
// walk of a RoI's tables serves them all. The planes, the blocks and write_rows' tile come from
// thread_task_buffers.
//
// `windows[k]`, when given, bounds the cells RoI k reads, and `reads` (optional) lists the rows
// (or cells) of that window it reads. A task then stages only what its RoIs read: the union of
// their windows, or each RoI's own rows or cells just before that RoI when those add up to less
// than the union. Without this, a call with a few small RoIs on a large map spent nearly all its
// time staging cells no sample reads (one 7x7 RoI on a [1,256,200,272] map: 4.0 ms, against
// 0.1 ms for onnxruntime's RoiAlign); staging only the rows a large RoI's samples read cut W6 by
// a further 1.5x.
template <int kPlanes = 1, typename T, typename Compute>
void for_each_roi_block(const T* x, const MapShape& shape, const std::vector<int64_t>& batch, int64_t bins, T* y,
                        const ParallelFor& parallel_for, Compute compute, const std::vector<Window>& windows = {},
                        const ReadLists& reads = {}) {
  static_assert(kPlanes == 1 || kPlanes == 2 || kPlanes == 4);
  using A = compute_t<T>;
  constexpr int kB = block_channels<A>();
  const BlockPlan plan(batch, shape.n, shape.c, kB * kPlanes, 8, windows);
  const std::size_t plane_size = block_plane_elements<A>(shape);
  const bool streamed = stream_output(y, batch.size(), shape.c, bins);
  auto own_cells = [&](std::size_t k) {
    const Window& w = windows[k];
    if (reads.empty() || w.area() == 0) return w.area();
    return reads.count(k) * (reads.runs ? kB : w.x1 - w.x0);
  };
  parallel_for(plan.tasks(), [&](std::size_t i) {
    const BlockTask& task = plan.task(i);
    const TaskBuffers<A> buffers =
        thread_task_buffers<A>(plane_size * kPlanes, static_cast<std::size_t>(bins * kB * kPlanes),
                               static_cast<std::size_t>(bins * kB));
    A* const plane = buffers.planes;
    A* const block = buffers.block;
    const int64_t planes = (task.count + kB - 1) / kB;
    auto channels = [&](int64_t j) { return std::min<int64_t>(kB, task.count - j * kB); };  // of plane j
    auto stage = [&](const Window& w) {
      for (int64_t j = 0; j < planes; ++j)
        stage_channel_block(x, shape, task.image, task.c0 + j * kB, 1, channels(j), w,
                            plane + j * plane_size);
    };
    Window all = Window::whole(shape);
    bool per_roi = false;
    if (!windows.empty()) {
      all = {shape.h, 0, shape.w, 0};
      int64_t covered = 0;
      for (int64_t pos = task.first; pos < task.last; ++pos) {
        const auto k = static_cast<std::size_t>(plan.roi(pos));
        const Window& w = windows[k];
        if (w.area() == 0) continue;
        all = {std::min(all.y0, w.y0), std::max(all.y1, w.y1), std::min(all.x0, w.x0), std::max(all.x1, w.x1)};
        covered += own_cells(k);
      }
      per_roi = covered < all.area();
    }
    if (!per_roi) stage(all);
    for (int64_t pos = task.first; pos < task.last; ++pos) {
      const int64_t k = plan.roi(pos);
      if (per_roi) {
        const Window& w = windows[static_cast<std::size_t>(k)];
        const int64_t* listed = reads.entries.data() + (reads.empty() ? 0 : reads.first[k]);
        if (reads.empty() || w.area() == 0) {
          stage(w);
        } else if (reads.runs) {
          for (int64_t j = 0; j < planes; ++j)
            stage_channel_runs(x, shape, task.image, task.c0 + j * kB, channels(j), listed,
                               reads.count(static_cast<std::size_t>(k)), plane + j * plane_size);
        } else {
          const int64_t rows = reads.count(static_cast<std::size_t>(k));
          for (int64_t r = 0; r < rows; ++r) {
            // The next row's runs are asked for while this one is staged (W6 CropAndResize
            // 1.01-1.13x over six paired runs, both load orders).
            if (r + 1 < rows)
              for (int64_t j = 0; j < task.count; ++j)
                prefetch_run(x + ((task.image * shape.c + task.c0 + j) * shape.h + listed[r + 1]) * shape.w + w.x0,
                             static_cast<std::size_t>(w.x1 - w.x0) * sizeof(T));
            stage({listed[r], listed[r] + 1, w.x0, w.x1});
          }
        }
      }
      if constexpr (kPlanes == 1)
        compute(static_cast<const A*>(plane), k, block);
      else
        compute(static_cast<const A*>(plane), planes, k, block);
      for (int64_t j = 0; j < planes; ++j)
        write_rows(block + j * bins * kB, bins, channels(j), buffers.tile,
                   y + (k * shape.c + task.c0 + j * kB) * bins, streamed);
    }
    if (streamed) fence_stream();
  });
}

// At most this many RoIs count as "a few": the kernels then work out exactly what each reads,
// which for many RoIs costs more than staging their shared window (R1, P1).
constexpr int64_t kFewRois = 16;

// The position-sensitive ops (docs/spec.md, "PSRoIAlign, PSRoIPool"): output channel c of bin b reads
// input channel c * bins + b, so a task stages, for one bin, the input channels of one block of
// output channels (a strided gather), and computes that bin of each of its RoIs. Every input
// channel is staged once per RoI chunk, as in for_each_roi_block; for a chunk of at most kFewRois
// RoIs only the union of the cells that bin of them reads (W6: 3.7x faster than the whole map).
// compute(plane, k, b, lanes) fills the kB lanes of bin b of RoI k; bin_window(k, b) is the Window
// bin b of RoI k reads.
template <typename T, typename Compute, typename BinWindow>
void for_each_ps_block(const T* x, const MapShape& in, int64_t out_channels, int64_t bins,
                       const std::vector<int64_t>& batch, T* y, const ParallelFor& parallel_for, Compute compute,
                       BinWindow bin_window) {
  using A = compute_t<T>;
  constexpr int kB = block_channels<A>();
  const std::size_t nbins = static_cast<std::size_t>(bins);
  // Bins already multiply the tasks; split RoIs only if that is not enough.
  const BlockPlan plan(batch, in.n, out_channels, kB, (8 + bins - 1) / bins);
  parallel_for(plan.tasks() * nbins, [&](std::size_t i) {
    const BlockTask& task = plan.task(i / nbins);
    const int64_t b = static_cast<int64_t>(i % nbins);
    A* const plane = thread_task_buffers<A>(block_plane_elements<A>(in), 0, 0).planes;
    // Many RoIs cover the map anyway, and their bin windows cost more to work out than they save
    // (P1, 300 RoIs: 1.3x slower with them).
    Window all = Window::whole(in);
    if (task.last - task.first <= kFewRois) {
      all = {in.h, 0, in.w, 0};
      for (int64_t pos = task.first; pos < task.last; ++pos) {
        const Window w = bin_window(plan.roi(pos), b);
        if (w.area() == 0) continue;
        all = {std::min(all.y0, w.y0), std::max(all.y1, w.y1), std::min(all.x0, w.x0), std::max(all.x1, w.x1)};
      }
    }
    stage_channel_block(x, in, task.image, task.c0 * bins + b, bins, task.count, all, plane);
    A lanes[kB];
    for (int64_t pos = task.first; pos < task.last; ++pos) {
      const int64_t k = plan.roi(pos);
      compute(static_cast<const A*>(plane), k, b, lanes);
      T* out = y + (k * out_channels + task.c0) * bins + b;
      for (int64_t j = 0; j < task.count; ++j) out[j * bins] = from_compute<T>(lanes[j]);
    }
  });
}

}  // namespace roi_ops::cpu
