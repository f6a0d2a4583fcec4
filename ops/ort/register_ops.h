// The op list, once for every device: register_cpu.cc and register_cuda.cc each instantiate it
// with their Device (cpu_device.h, cuda_device.h).
#pragma once

#include "crop_and_resize_op.h"
#include "multi_scale_op.h"
#include "register.h"
#include "roi_op.h"
#include "roi_traits.h"

namespace roi_ops::ort {

template <typename Device>
void register_ops(Ort::CustomOpDomain& domain) {
  add_all_types<RoiOp, RoIAlignTraits, Device>(domain);
  add_all_types<RoiOp, RoIPoolTraits, Device>(domain);
  add_all_types<RoiOp, PSRoIAlignTraits, Device>(domain);
  add_all_types<RoiOp, PSRoIPoolTraits, Device>(domain);
  add_all_types<RoiOp, RoIAlignRotatedTraits, Device>(domain);
  add_all_types<MultiScaleOp, MultiScaleRoIAlignTraits, Device>(domain);
  add_all_types<MultiScaleOp, MultiScaleRoIAlignRotatedTraits, Device>(domain);
  add_all_types<CropAndResizeOp, CropAndResizeTraits, Device>(domain);
}

}  // namespace roi_ops::ort
