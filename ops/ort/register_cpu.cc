#include "crop_and_resize_op.h"
#include "multi_scale_op.h"
#include "register.h"
#include "roi_op.h"
#include "roi_traits.h"

namespace roi_ops::ort {
namespace {

// One op object per element type; onnxruntime binds all of them to one schema per name. The
// objects must outlive every session that uses them: they live as long as the library.
template <template <typename> class Op>
void add_all_types(Ort::CustomOpDomain& domain) {
  static Op<float> f32;
  static Op<double> f64;
  static Op<Ort::Float16_t> f16;
  domain.Add(&f32);
  domain.Add(&f64);
  domain.Add(&f16);
}

template <typename Traits>
struct RoiOp {
  template <typename T>
  using For = RoiCpuOp<Traits, T>;
};

}  // namespace

void register_cpu_ops(Ort::CustomOpDomain& domain) {
  add_all_types<RoiOp<RoIAlignTraits>::For>(domain);
  add_all_types<RoiOp<RoIPoolTraits>::For>(domain);
  add_all_types<RoiOp<PSRoIAlignTraits>::For>(domain);
  add_all_types<RoiOp<PSRoIPoolTraits>::For>(domain);
  add_all_types<RoiOp<RoIAlignRotatedTraits>::For>(domain);
  add_all_types<MultiScaleCpuOp>(domain);
  add_all_types<CropAndResizeCpuOp>(domain);
}

}  // namespace roi_ops::ort
