// The feature maps of a multi-scale op as the kernels take them: pointers, shapes and scales by
// value in the kernel's parameters (at most kMaxLevels; the attribute parser refuses more).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "../math/kernel_args.h"
#include "launch.h"

namespace roi_ops::cuda {

template <typename D>
struct Pyramid {
  const D* maps[kMaxLevels];
  math::MapShape shapes[kMaxLevels];
  double scales[kMaxLevels];
  int64_t count;  // maps given; a RoI whose level index reaches past them gets zeros
};

// D is the device storage type of T (storage.cuh).
template <typename D, typename T>
Pyramid<D> make_pyramid(const char* op, const std::vector<const T*>& maps, const std::vector<math::MapShape>& shapes,
                        const std::vector<double>& scales) {
  if (maps.size() > static_cast<size_t>(kMaxLevels))  // op_params.cc refuses such a node first
    throw std::runtime_error(std::string(op) + ": at most " + std::to_string(kMaxLevels) + " feature maps");
  Pyramid<D> pyr{};
  for (size_t l = 0; l < maps.size(); ++l) {
    pyr.maps[l] = reinterpret_cast<const D*>(maps[l]);
    pyr.shapes[l] = shapes[l];
    pyr.scales[l] = scales[l];
  }
  pyr.count = static_cast<int64_t>(maps.size());
  return pyr;
}

}  // namespace roi_ops::cuda
