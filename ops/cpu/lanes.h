// One staged channel block (channel_blocks.h) as a value: kBlockBytes of the compute type in two
// GCC/Clang vectors, which the AVX2 and AVX-512 clones (isa.h) keep in two ymm registers. Written with plain arrays, GCC kept the accumulators
// of a bin in registers inside the sample loop but spilled them to the stack and finished every
// bin with scalar adds; as a vector value they stay in registers to the store.
#pragma once

#include <cstddef>
#include <cstring>
#include <utility>

#include "channel_blocks.h"
#include "isa.h"

namespace roi_ops::cpu {

// Two 32-byte halves, not one 64-byte GCC vector: a vector wider than the ISA's registers has no
// register mode in GCC, so in the AVX2 clone every loop-carried accumulator lived on the stack
// and the kernels ran 5-7x slower than the AVX-512 clone (W1 260 ms against 47). Halves are
// registers with AVX2 and AVX-512 (as ymm operations: the same speed as one zmm here); the SSE
// clones still split them through memory (~8x slower; 16-byte quarters made AVX-512 0.6x).
// (GCC ignores vector_size on a dependent type, hence one typedef per compute type.)
constexpr int kHalfBytes = kBlockBytes / 2;
template <typename A>
struct HalfOf;
template <>
struct HalfOf<float> {
  typedef float type __attribute__((vector_size(kHalfBytes)));
};
template <>
struct HalfOf<double> {
  typedef double type __attribute__((vector_size(kHalfBytes)));
};

template <typename A>
struct Lanes {
  using Half = typename HalfOf<A>::type;
  Half lo{}, hi{};

  friend Lanes operator+(Lanes a, Lanes b) { return {a.lo + b.lo, a.hi + b.hi}; }
  friend Lanes operator-(Lanes a, Lanes b) { return {a.lo - b.lo, a.hi - b.hi}; }
  friend Lanes operator*(Lanes a, Lanes b) { return {a.lo * b.lo, a.hi * b.hi}; }
  friend Lanes operator*(A w, Lanes a) { return {w * a.lo, w * a.hi}; }
  friend Lanes operator*(Lanes a, A w) { return {a.lo * w, a.hi * w}; }
  friend Lanes operator/(Lanes a, A d) { return {a.lo / d, a.hi / d}; }
  Lanes& operator+=(Lanes b) { return *this = *this + b; }
  Lanes& operator/=(A d) { return *this = *this / d; }
};

template <typename A>
ROI_OPS_ALWAYS_INLINE Lanes<A> load_lanes(const A* p) {
  Lanes<A> v;
  std::memcpy(&v.lo, p, sizeof v.lo);  // the staged plane need not be vector-aligned
  std::memcpy(&v.hi, p + sizeof v.lo / sizeof(A), sizeof v.hi);
  return v;
}

template <typename A>
ROI_OPS_ALWAYS_INLINE void store_lanes(A* p, Lanes<A> v) {
  std::memcpy(p, &v.lo, sizeof v.lo);
  std::memcpy(p + sizeof v.lo / sizeof(A), &v.hi, sizeof v.hi);
}

template <typename A>
ROI_OPS_ALWAYS_INLINE Lanes<A> splat(A v) {
  return {typename Lanes<A>::Half{} + v, typename Lanes<A>::Half{} + v};
}

// Lane by lane: a > b ? x : y (false for NaN, as the comparison is).
template <typename A>
ROI_OPS_ALWAYS_INLINE Lanes<A> select_greater(Lanes<A> a, Lanes<A> b, Lanes<A> x, Lanes<A> y) {
  return {a.lo > b.lo ? x.lo : y.lo, a.hi > b.hi ? x.hi : y.hi};
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

// Rows of halves: the four quarters of the square are transposed one by one (as squares of
// halves) and the two off the diagonal trade places.
template <typename A>
ROI_OPS_ALWAYS_INLINE void transpose_lanes(Lanes<A>* r) {
  constexpr int n = block_channels<A>() / 2;
  using Half = typename Lanes<A>::Half;
  Half q[4][n];  // top-left, top-right, bottom-left, bottom-right
  for (int i = 0; i < n; ++i) q[0][i] = r[i].lo, q[1][i] = r[i].hi, q[2][i] = r[n + i].lo, q[3][i] = r[n + i].hi;
  for (auto& quarter : q) lanes_detail::transpose_from<n / 2>(quarter, std::make_index_sequence<n>{});
  for (int i = 0; i < n; ++i) r[i] = {q[0][i], q[2][i]}, r[n + i] = {q[1][i], q[3][i]};
}

}  // namespace roi_ops::cpu
