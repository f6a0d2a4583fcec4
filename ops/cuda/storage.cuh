// The device type behind each storage type of the host API (launch.h).
#pragma once

#include <cuda_fp16.h>

#include "../math/half.h"

namespace roi_ops::cuda {

template <typename T>
struct Storage {
  using type = T;
};
template <>
struct Storage<math::Half> {
  using type = __half;  // same 16 bits
};

}  // namespace roi_ops::cuda
