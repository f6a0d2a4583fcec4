// How a call is split into tasks: RoIs are grouped by image, and each task stages one channel
// block of one image (channel_blocks.h) and processes a chunk of that image's RoIs on it.
// Tasks write disjoint (RoI, channel) ranges of the output, so results do not depend on which
// thread runs which task.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "channel_blocks.h"

namespace roi_ops::cpu {

struct BlockTask {
  int64_t image;
  int64_t c0, count;    // channels [c0, c0 + count)
  int64_t first, last;  // positions in BlockPlan::order
};

class BlockPlan {
 public:
  // `batch[k]` is RoI k's image, or -1 for a RoI the kernel skips (its output is already written).
  // RoIs are split into chunks until there are at least `min_tasks` tasks. With `windows` (the
  // cells each RoI reads), an image's RoIs are taken in spatial order instead of input order.
  BlockPlan(const std::vector<int64_t>& batch, int64_t images, int64_t channels, int64_t block,
            int64_t min_tasks = 8, const std::vector<Window>& windows = {});

  std::size_t tasks() const { return tasks_.size(); }
  const BlockTask& task(std::size_t i) const { return tasks_[i]; }
  int64_t roi(int64_t position) const { return order_[static_cast<std::size_t>(position)]; }

 private:
  std::vector<int64_t> order_;  // RoI indices, grouped by image, in input order within an image
  std::vector<BlockTask> tasks_;
};

}  // namespace roi_ops::cpu
