// Timing helpers for the benchmark programs that take turns with a floor (load_bound.cc,
// crop_loads.cc, l2_plane.cc, staging_bound.cc): one timed call, and the median of per-turn figures.
#pragma once

#include <algorithm>
#include <chrono>
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
