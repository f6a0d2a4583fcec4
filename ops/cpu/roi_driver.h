// The outer loop shared by the channel-blocked RoI kernels: read every RoI, answer non-finite
// ones with NaN (SPEC.md, "Common rules"), then run each task of the BlockPlan on its staged
// channel block and write each RoI's result rows.
#pragma once

#include <cstdint>
#include <vector>

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

// compute(plane, k, block) fills block [bins, kB] for RoI k from a staged channel-block plane.
template <typename T, typename Compute>
void for_each_roi_block(const T* x, const MapShape& shape, const std::vector<int64_t>& batch, int64_t bins, T* y,
                        const ParallelFor& parallel_for, Compute compute) {
  using A = compute_t<T>;
  constexpr int kB = block_channels<A>();
  const BlockPlan plan(batch, shape.n, shape.c, kB);
  parallel_for(plan.tasks(), [&](std::size_t i) {
    const BlockTask& task = plan.task(i);
    A* plane = thread_plane_buffer<A>(static_cast<std::size_t>(shape.h * shape.w * kB));
    stage_channel_block(x, shape, task.image, task.c0, task.count, plane);
    thread_local std::vector<A> block;
    block.resize(static_cast<std::size_t>(bins * kB));
    for (int64_t pos = task.first; pos < task.last; ++pos) {
      const int64_t k = plan.roi(pos);
      compute(static_cast<const A*>(plane), k, block.data());
      write_rows(block.data(), kB, bins, task.count, y + (k * shape.c + task.c0) * bins);
    }
  });
}

}  // namespace roi_ops::cpu
