// One staged channel block (channel_blocks.h) as a value: kBlockBytes of the compute type in GCC/Clang
// vectors kept in registers. Written with plain arrays, GCC kept the accumulators of a bin in
// registers inside the sample loop but spilled them to the stack and finished every bin with scalar
// adds; as vector values they stay in registers to the store. Two forms, chosen at run time
// (wide_lanes()): Lanes, two 32-byte vectors, for CPUs with AVX2 (the AVX2 and AVX-512 clones keep
// them in ymm registers), and Quarters, four 16-byte vectors, for the others (SSE registers).
// The kernels are templates on the form (V below); V::load, V::splat, store_lanes, select_greater
// and transpose_lanes work on both. A third form, Line, one 64-byte vector, serves the one loop
// that gains from zmm registers (below).
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "channel_blocks.h"
#include "isa.h"

namespace roi_ops::cpu {

// Two 32-byte halves, not one 64-byte GCC vector: a vector wider than the ISA's registers has no
// register mode in GCC, so in the AVX2 clone every loop-carried accumulator lived on the stack
// and the kernels ran 5-7x slower than the AVX-512 clone (W1 260 ms against 47). Halves are
// registers with AVX2 and AVX-512 (as ymm operations: the same speed as one zmm here); without
// AVX they go through memory, hence Quarters below (which as the only form made AVX-512 0.6x).
// A GCC/Clang vector of kBytes of A. (GCC ignores vector_size on a dependent element type, hence
// one specialisation per compute type; the size may depend.)
template <typename A, int kBytes>
struct VectorOf;
template <int kBytes>
struct VectorOf<float, kBytes> {
  typedef float type __attribute__((vector_size(kBytes)));
};
template <int kBytes>
struct VectorOf<double, kBytes> {
  typedef double type __attribute__((vector_size(kBytes)));
};
constexpr int kHalfBytes = kBlockBytes / 2;

template <typename A>
struct Lanes {
  using Scalar = A;
  using Half = typename VectorOf<A, kHalfBytes>::type;
  // No initialisers: reduce_block's array of Lanes about to be filled was zeroed first (rep stos:
  // W6 MultiScaleRoIAlign 1.10x, RoIAlign 1.03x without). Lanes{} is still all zeros.
  Half lo, hi;

  static ROI_OPS_ALWAYS_INLINE Lanes load(const A* p) {
    Lanes v;
    std::memcpy(&v.lo, p, sizeof v.lo);  // the staged plane need not be vector-aligned
    std::memcpy(&v.hi, p + sizeof v.lo / sizeof(A), sizeof v.hi);
    return v;
  }
  static ROI_OPS_ALWAYS_INLINE Lanes splat(A v) { return {Half{} + v, Half{} + v}; }

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
ROI_OPS_ALWAYS_INLINE void store_lanes(A* p, Lanes<A> v) {
  std::memcpy(p, &v.lo, sizeof v.lo);
  std::memcpy(p + sizeof v.lo / sizeof(A), &v.hi, sizeof v.hi);
}

// Lane by lane: a > b ? x : y (false for NaN, as the comparison is).
template <typename A>
ROI_OPS_ALWAYS_INLINE Lanes<A> select_greater(Lanes<A> a, Lanes<A> b, Lanes<A> x, Lanes<A> y) {
  return {a.lo > b.lo ? x.lo : y.lo, a.hi > b.hi ? x.hi : y.hi};
}

// Four 16-byte vectors: what CPUs without AVX2 hold in registers. With Lanes there, every 32-byte
// half went through memory and W1-W4 ran 7-9x slower than with AVX2, no faster than
// onnxruntime's own RoiAlign; with Quarters that code runs 1.3-1.9x slower than the AVX-512 code.
constexpr int kQuarterBytes = kBlockBytes / 4;

template <typename A>
struct Quarters {
  using Scalar = A;
  using Piece = typename VectorOf<A, kQuarterBytes>::type;
  static constexpr int kLanes = kQuarterBytes / static_cast<int>(sizeof(A));
  Piece a, b, c, d;  // no initialisers, as Lanes

  static ROI_OPS_ALWAYS_INLINE Quarters load(const A* p) {
    Quarters v;
    std::memcpy(&v.a, p, sizeof v.a);
    std::memcpy(&v.b, p + kLanes, sizeof v.b);
    std::memcpy(&v.c, p + 2 * kLanes, sizeof v.c);
    std::memcpy(&v.d, p + 3 * kLanes, sizeof v.d);
    return v;
  }
  static ROI_OPS_ALWAYS_INLINE Quarters splat(A v) { return {Piece{} + v, Piece{} + v, Piece{} + v, Piece{} + v}; }

  friend Quarters operator+(Quarters x, Quarters y) { return {x.a + y.a, x.b + y.b, x.c + y.c, x.d + y.d}; }
  friend Quarters operator-(Quarters x, Quarters y) { return {x.a - y.a, x.b - y.b, x.c - y.c, x.d - y.d}; }
  friend Quarters operator*(Quarters x, Quarters y) { return {x.a * y.a, x.b * y.b, x.c * y.c, x.d * y.d}; }
  friend Quarters operator*(A w, Quarters x) { return {w * x.a, w * x.b, w * x.c, w * x.d}; }
  friend Quarters operator*(Quarters x, A w) { return {x.a * w, x.b * w, x.c * w, x.d * w}; }
  friend Quarters operator/(Quarters x, A q) { return {x.a / q, x.b / q, x.c / q, x.d / q}; }
  Quarters& operator+=(Quarters y) { return *this = *this + y; }
  Quarters& operator/=(A q) { return *this = *this / q; }
};

template <typename A>
ROI_OPS_ALWAYS_INLINE void store_lanes(A* p, Quarters<A> v) {
  constexpr int n = Quarters<A>::kLanes;
  std::memcpy(p, &v.a, sizeof v.a);
  std::memcpy(p + n, &v.b, sizeof v.b);
  std::memcpy(p + 2 * n, &v.c, sizeof v.c);
  std::memcpy(p + 3 * n, &v.d, sizeof v.d);
}

template <typename A>
ROI_OPS_ALWAYS_INLINE Quarters<A> select_greater(Quarters<A> p, Quarters<A> q, Quarters<A> x, Quarters<A> y) {
  return {p.a > q.a ? x.a : y.a, p.b > q.b ? x.b : y.b, p.c > q.c ? x.c : y.c, p.d > q.d ? x.d : y.d};
}

#ifdef ROI_OPS_HAVE_AVX512_PATH
// The whole block in one 64-byte vector, a zmm register: for functions marked ROI_OPS_AVX512
// (isa.h), called where cpu_has_avx512() (in a clone without AVX-512 it would live on the stack).
// Half the instructions of Lanes for the same work, which paid where a loop's loads wait on L3
// (CropAndResize) and in RoIAlign's walk over several channel blocks (average_bin_blocks), and
// nowhere else measured (RoIAlign W1, RoIAlignRotated R1 and W6: 0.99-1.03x).
template <typename A>
struct Line {
  using Scalar = A;
  using Whole = typename VectorOf<A, kBlockBytes>::type;
  Whole v;  // no initialiser, as Lanes

  static ROI_OPS_ALWAYS_INLINE Line load(const A* p) {
    Line l;
    std::memcpy(&l.v, p, sizeof l.v);
    return l;
  }
  static ROI_OPS_ALWAYS_INLINE Line splat(A v) { return {Whole{} + v}; }

  // What CropAndResize's lerps and RoIAlign's avg bins use; the other kernels' operators join
  // as they need them.
  friend Line operator+(Line a, Line b) { return {a.v + b.v}; }
  friend Line operator-(Line a, Line b) { return {a.v - b.v}; }
  friend Line operator*(Line a, A w) { return {a.v * w}; }
  friend Line operator*(A w, Line a) { return {w * a.v}; }
  friend Line operator/(Line a, A d) { return {a.v / d}; }
  Line& operator+=(Line b) { return *this = *this + b; }
};

template <typename A>
ROI_OPS_ALWAYS_INLINE void store_lanes(A* p, Line<A> l) {
  std::memcpy(p, &l.v, sizeof l.v);
}
#endif

// The form for this CPU, set when the library loads: Lanes where the CPU has AVX2, else Quarters.
// Each ISA clone (isa.h) holds both; the one that runs uses Lanes exactly when it is an AVX clone.
bool wide_lanes();

// What is wrong with ROI_OPS_CPU_LANES as it was when the library loaded, or "" when it is unset,
// empty or "quarters" (the one value it takes). Registration refuses the library on a problem:
// a misspelt value would otherwise leave the form to the CPU without a word.
std::string lanes_setting_problem();


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

// Rows of quarters: a 4 x 4 grid of squares of quarters, each transposed, square (i, j) moving
// to (j, i).
template <typename A>
ROI_OPS_ALWAYS_INLINE void transpose_lanes(Quarters<A>* r) {
  constexpr int n = Quarters<A>::kLanes;
  using Piece = typename Quarters<A>::Piece;
  Piece q[4][4][n];  // [square row][square column][row within the square]
  for (int bi = 0; bi < 4; ++bi)
    for (int i = 0; i < n; ++i) {
      const Quarters<A>& row = r[bi * n + i];
      q[bi][0][i] = row.a, q[bi][1][i] = row.b, q[bi][2][i] = row.c, q[bi][3][i] = row.d;
    }
  for (auto& square_row : q)
    for (auto& square : square_row) lanes_detail::transpose_from<n / 2>(square, std::make_index_sequence<n>{});
  for (int bj = 0; bj < 4; ++bj)
    for (int i = 0; i < n; ++i) r[bj * n + i] = {q[0][bj][i], q[1][bj][i], q[2][bj][i], q[3][bj][i]};
}

#ifdef ROI_OPS_HAVE_AVX512_PATH
// Rows of whole zmm registers: the square in log2(kB) stages of one two-source shuffle per row.
template <typename A>
ROI_OPS_ALWAYS_INLINE void transpose_lanes(Line<A>* r) {
  constexpr int n = block_channels<A>();
  typename Line<A>::Whole w[n];
  for (int i = 0; i < n; ++i) w[i] = r[i].v;
  lanes_detail::transpose_from<n / 2>(w, std::make_index_sequence<n>{});
  for (int i = 0; i < n; ++i) r[i].v = w[i];
}
#endif

}  // namespace roi_ops::cpu
