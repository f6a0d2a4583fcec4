#include "block_plan.h"

#include <algorithm>

namespace roi_ops::cpu {

BlockPlan::BlockPlan(const std::vector<int64_t>& batch, int64_t images, int64_t channels, int64_t block,
                     int64_t min_tasks) {
  std::vector<int64_t> begin(static_cast<std::size_t>(images) + 1, 0);
  for (int64_t b : batch)
    if (b >= 0) ++begin[static_cast<std::size_t>(b) + 1];
  for (int64_t n = 0; n < images; ++n) begin[n + 1] += begin[n];
  order_.resize(static_cast<std::size_t>(begin[images]));
  std::vector<int64_t> fill(begin.begin(), begin.end() - 1);
  for (std::size_t k = 0; k < batch.size(); ++k)
    if (batch[k] >= 0) order_[static_cast<std::size_t>(fill[batch[k]]++)] = static_cast<int64_t>(k);

  const int64_t blocks = (channels + block - 1) / block;
  int64_t busy_images = 0;
  for (int64_t n = 0; n < images; ++n) busy_images += begin[n + 1] > begin[n];
  // Few (image, block) pairs cannot keep a pool busy: split their RoIs into chunks too, at the
  // cost of staging the block once per chunk.
  const int64_t pairs = std::max<int64_t>(busy_images * blocks, 1);
  const int64_t chunks = std::max<int64_t>(1, (min_tasks + pairs - 1) / pairs);
  for (int64_t n = 0; n < images; ++n) {
    const int64_t rois = begin[n + 1] - begin[n];
    if (rois == 0) continue;
    const int64_t parts = std::min(chunks, rois);
    for (int64_t b = 0; b < blocks; ++b) {
      for (int64_t p = 0; p < parts; ++p) {
        tasks_.push_back({n, b * block, std::min(block, channels - b * block), begin[n] + rois * p / parts,
                          begin[n] + rois * (p + 1) / parts});
      }
    }
  }
}

}  // namespace roi_ops::cpu
