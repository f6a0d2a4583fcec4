// The CPU kernels' names for the device-neutral kernel arguments (math/kernel_args.h).
#pragma once

#include "../math/kernel_args.h"

namespace roi_ops::cpu {

using math::AlignParams;
using math::CropParams;
using math::MapShape;
using math::MultiScaleParams;
using math::MultiScaleRotatedParams;
using math::PoolParams;
using math::RoiSet;
using math::RotatedParams;

}  // namespace roi_ops::cpu
