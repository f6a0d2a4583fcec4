#include "register.h"
#include "roi_op.h"
#include "roi_traits.h"

namespace roi_ops::ort {
namespace {

template <typename Traits>
void add_all_types(Ort::CustomOpDomain& domain) {
  // The op objects must outlive every session that uses them: they live as long as the library.
  static RoiCpuOp<Traits, float> f32;
  static RoiCpuOp<Traits, double> f64;
  static RoiCpuOp<Traits, Ort::Float16_t> f16;
  domain.Add(&f32);
  domain.Add(&f64);
  domain.Add(&f16);
}

}  // namespace

void register_cpu_ops(Ort::CustomOpDomain& domain) {
  add_all_types<RoIAlignTraits>(domain);
  add_all_types<RoIPoolTraits>(domain);
}

}  // namespace roi_ops::ort
