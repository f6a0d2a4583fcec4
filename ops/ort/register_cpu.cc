#include "cpu_device.h"
#include "crop_and_resize_op.h"
#include "multi_scale_op.h"
#include "register.h"
#include "roi_op.h"
#include "roi_traits.h"

namespace roi_ops::ort {

// Named per device, outside any anonymous namespace: add_all_types() keeps its op objects in
// function-local statics, and GCC gives those of instantiations over anonymous-namespace
// aliases one process-wide (GNU unique) name, which made the CPU and CUDA registrations share
// one set of objects.
template <typename Traits>
struct CpuBoxOp {
  template <typename T>
  using For = RoiOp<Traits, T, OnCpu>;
};
template <typename T>
using CpuMultiScale = MultiScaleOp<T, OnCpu>;
template <typename T>
using CpuCropAndResize = CropAndResizeOp<T, OnCpu>;

void register_cpu_ops(Ort::CustomOpDomain& domain) {
  add_all_types<CpuBoxOp<RoIAlignTraits>::For>(domain);
  add_all_types<CpuBoxOp<RoIPoolTraits>::For>(domain);
  add_all_types<CpuBoxOp<PSRoIAlignTraits>::For>(domain);
  add_all_types<CpuBoxOp<PSRoIPoolTraits>::For>(domain);
  add_all_types<CpuBoxOp<RoIAlignRotatedTraits>::For>(domain);
  add_all_types<CpuMultiScale>(domain);
  add_all_types<CpuCropAndResize>(domain);
}

}  // namespace roi_ops::ort
