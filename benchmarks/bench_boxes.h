// The bench's RoI draw (python/roi_ops/bench/cases.py, `_boxes`) for the C++ benchmark programs:
// height and width log-uniform in 16-600 px (each at most the image's side less one), then the
// top-left corner uniform where the box fits in the image. Each program draws from its own
// generator, so the boxes follow the bench's distribution, not its exact values.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>

struct DrawnBox {
  double y1, x1, h, w;
};

template <typename Rng>
DrawnBox draw_bench_box(Rng& rng, double img_h, double img_w) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto size = [&](double limit) {
    return std::min(std::exp(std::log(16.0) + unit(rng) * std::log(600.0 / 16)), limit - 1);
  };
  const double h = size(img_h), w = size(img_w);
  const double y1 = unit(rng) * (img_h - h), x1 = unit(rng) * (img_w - w);
  return {y1, x1, h, w};
}
