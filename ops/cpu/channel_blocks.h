// Channel-blocked staging of a feature map for the CPU kernels.
//
// The kernels walk the map one block of kBlockBytes worth of channels at a time: the block's
// planes are copied (widened to the compute type) into [H, W, block] order, so every bilinear
// tap or window element is one contiguous, aligned vector of channels. A block plane is small
// enough to stay in cache while every RoI of its image is processed, so the map is read from
// memory once per call however many RoIs overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "half.h"
#include "shapes.h"

namespace roi_ops::cpu {

constexpr int kBlockBytes = 64;  // one cache line, one AVX-512 register

template <typename A>
constexpr int block_channels() {
  return kBlockBytes / static_cast<int>(sizeof(A));
}

// dst[h][w][j] = src[n][c0 + j * stride][h][w] for j < count, 0 for count <= j < block_channels<A>().
// A stride other than 1 gathers the input channels of one bin of the position-sensitive ops.
void stage_channel_block(const float* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         float* dst);
void stage_channel_block(const double* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         double* dst);
void stage_channel_block(const Half* src, const MapShape& s, int64_t n, int64_t c0, int64_t stride, int64_t count,
                         float* dst);

// A per-thread buffer for one staged block plane, kept between calls so a run touches no fresh
// pages; it holds the largest plane the thread has staged so far.
template <typename A>
A* thread_plane_buffer(std::size_t elements) {
  thread_local std::vector<A> buffer;
  if (buffer.size() < elements) buffer.resize(elements);
  return buffer.data();
}

}  // namespace roi_ops::cpu
