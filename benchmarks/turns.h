// Timing helpers for the benchmark programs that take turns with a floor (bin_loop.cc,
// crop_loads.cc, crop_nchw.cc, l2_plane.cc, load_bound.cc, staging_bound.cc): one timed call, the
// median of per-turn figures, and the bench's floor on the memory the bench's floor has (also
// two_threads.cc's).
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

template <typename F>
double ms(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Memory on transparent huge pages, as the bench's tensors have it: numpy asks Linux for them for
// every array of 4 MB or more (madvise(MADV_HUGEPAGE)), so the bench's floor copy and the op's
// maps run on them, and the library asks for them for an output it streams (ops/cpu/
// roi_output.cc). Where THP is "madvise" only (the Zen 4 VM), a 128 MB memcpy between
// std::vector's 4 KB pages took 15.3-17.6 ms against 9.7-10.7 ms on huge pages (session 48), so
// these programs' floors were 1.6x the bench's, and their figures in floors low by as much where
// the work is not memory-bound. The planes the kernels stage stay on 4 KB pages, as the library's.
template <typename T>
struct HugePages {
  using value_type = T;
  HugePages() = default;
  template <typename U>
  HugePages(const HugePages<U>&) {}
  T* allocate(std::size_t n) {
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t bytes = (n * sizeof(T) + kHuge - 1) / kHuge * kHuge;
    void* p = nullptr;
    if (posix_memalign(&p, kHuge, bytes) != 0) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <typename U>
  bool operator==(const HugePages<U>&) const { return true; }
  template <typename U>
  bool operator!=(const HugePages<U>&) const { return false; }
};

template <typename T>
using huge_vector = std::vector<T, HugePages<T>>;

// The bench's floor (roi_ops/bench/floor.py): a copy of (maps + output) / 2 bytes, np.copyto being
// memcpy, between buffers on huge pages.
struct FloorCopy {
  huge_vector<char> src, dst;
  explicit FloorCopy(std::size_t bytes) : src(bytes, 1), dst(bytes, 0) {}
  void operator()() {
    std::memcpy(dst.data(), src.data(), src.size());
    asm volatile("" : : "r"(dst.data()) : "memory");
  }
};
