// One staged channel block (channel_blocks.h) as a value: kBlockBytes of the compute type in a
// GCC/Clang vector, which each ISA clone (isa.h) lowers to its own registers (one AVX-512
// register, two AVX2 ones, four SSE ones). Written with plain arrays, GCC kept the accumulators
// of a bin in registers inside the sample loop but spilled them to the stack and finished every
// bin with scalar adds; as a vector value they stay in registers to the store.
#pragma once

#include <cstddef>
#include <cstring>
#include <utility>

#include "channel_blocks.h"
#include "isa.h"

namespace roi_ops::cpu {

// (GCC ignores vector_size on a dependent type, hence one typedef per compute type.)
template <typename A>
struct LanesOf;
template <>
struct LanesOf<float> {
  typedef float type __attribute__((vector_size(kBlockBytes)));
};
template <>
struct LanesOf<double> {
  typedef double type __attribute__((vector_size(kBlockBytes)));
};
template <typename A>
using Lanes = typename LanesOf<A>::type;

template <typename A>
ROI_OPS_ALWAYS_INLINE Lanes<A> load_lanes(const A* p) {
  Lanes<A> v;
  std::memcpy(&v, p, sizeof v);  // the staged plane need not be vector-aligned
  return v;
}

template <typename A>
ROI_OPS_ALWAYS_INLINE void store_lanes(A* p, Lanes<A> v) {
  std::memcpy(p, &v, sizeof v);
}

template <typename A>
ROI_OPS_ALWAYS_INLINE Lanes<A> splat(A v) {
  return Lanes<A>{} + v;
}

// Transposes the square matrix whose rows are r[0..n), n = lanes per vector: afterwards r[j][i] is
// the old r[i][j]. log2(n) stages; stage s swaps the off-diagonal s x s blocks of every 2s x 2s
// block with two two-source shuffles per row pair (one vpermt2ps each with AVX-512).
namespace lanes_detail {
template <int n, int s>
constexpr int keep_low(int l) {
  return (l & s) ? n + l - s : l;
}
template <int n, int s>
constexpr int keep_high(int l) {
  return (l & s) ? n + l : l + s;
}
template <int s, typename V, std::size_t... I>
ROI_OPS_ALWAYS_INLINE void transpose_stage(V* r, std::index_sequence<I...>) {
  constexpr int n = sizeof...(I);
  for (int i = 0; i < n; ++i) {
    if (i & s) continue;
    const V a = r[i], b = r[i + s];
    r[i] = __builtin_shufflevector(a, b, keep_low<n, s>(I)...);
    r[i + s] = __builtin_shufflevector(a, b, keep_high<n, s>(I)...);
  }
}
template <int s, typename V, typename Seq>
ROI_OPS_ALWAYS_INLINE void transpose_from(V* r, Seq seq) {
  transpose_stage<s>(r, seq);
  if constexpr (s > 1) transpose_from<s / 2>(r, seq);
}
}  // namespace lanes_detail

template <typename A>
ROI_OPS_ALWAYS_INLINE void transpose_lanes(Lanes<A>* r) {
  constexpr int n = block_channels<A>();
  lanes_detail::transpose_from<n / 2>(r, std::make_index_sequence<n>{});
}

}  // namespace roi_ops::cpu
