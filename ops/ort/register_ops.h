// The op list, once for every device: register_cpu.cc and register_cuda.cc each instantiate it
// with their Device (cpu_device.h, cuda_device.h).
#pragma once

#include "crop_and_resize_op.h"
#include "multi_scale_op.h"
#include "register.h"
#include "roi_op.h"
#include "roi_traits.h"

namespace roi_ops::ort {

// The aliases live in a named template over Device, never in an anonymous namespace:
// add_all_types() keeps its op objects in function-local statics, and GCC gives those of
// instantiations over anonymous-namespace aliases one process-wide (GNU unique) name, which once
// made the CPU and CUDA registrations share one set of objects.
template <typename Device>
struct DeviceOps {
  template <typename Traits>
  struct Box {
    template <typename T>
    using For = RoiOp<Traits, T, Device>;
  };
  template <typename T>
  using MultiScale = MultiScaleOp<T, Device>;
  template <typename T>
  using Crop = CropAndResizeOp<T, Device>;
};

template <typename Device>
void register_ops(Ort::CustomOpDomain& domain) {
  using Ops = DeviceOps<Device>;
  add_all_types<Ops::template Box<RoIAlignTraits>::template For>(domain);
  add_all_types<Ops::template Box<RoIPoolTraits>::template For>(domain);
  add_all_types<Ops::template Box<PSRoIAlignTraits>::template For>(domain);
  add_all_types<Ops::template Box<PSRoIPoolTraits>::template For>(domain);
  add_all_types<Ops::template Box<RoIAlignRotatedTraits>::template For>(domain);
  add_all_types<Ops::template MultiScale>(domain);
  add_all_types<Ops::template Crop>(domain);
}

}  // namespace roi_ops::ort
