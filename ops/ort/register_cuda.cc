// The ops for CUDAExecutionProvider (built only when the library is built with CUDA).
#include "crop_and_resize_op.h"
#include "cuda_device.h"
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
struct CudaBoxOp {
  template <typename T>
  using For = RoiOp<Traits, T, OnCuda>;
};
template <typename T>
using CudaMultiScale = MultiScaleOp<T, OnCuda>;
template <typename T>
using CudaCropAndResize = CropAndResizeOp<T, OnCuda>;

void register_cuda_ops(Ort::CustomOpDomain& domain) {
  add_all_types<CudaBoxOp<RoIAlignTraits>::For>(domain);
  add_all_types<CudaBoxOp<RoIPoolTraits>::For>(domain);
  add_all_types<CudaBoxOp<PSRoIAlignTraits>::For>(domain);
  add_all_types<CudaBoxOp<PSRoIPoolTraits>::For>(domain);
  add_all_types<CudaBoxOp<RoIAlignRotatedTraits>::For>(domain);
  add_all_types<CudaMultiScale>(domain);
  add_all_types<CudaCropAndResize>(domain);
}

}  // namespace roi_ops::ort
