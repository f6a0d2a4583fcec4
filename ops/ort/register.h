// Registration is a list: one function per execution provider adds that provider's ops to the
// `roi_ops` domain; the library's entry point (register.cc) calls each of them.
#pragma once

#include "ort_api.h"

namespace roi_ops::ort {

constexpr const char* kDomain = "roi_ops";

void register_cpu_ops(Ort::CustomOpDomain& domain);
void check_cpu_settings();  // throws OpError naming a CPU setting (an environment variable) it cannot take
void register_cuda_ops(Ort::CustomOpDomain& domain);  // in CUDA-enabled builds only

// One op object per full type (shell, traits, element type, device), alive as long as the
// library: sessions hold pointers to it. Traits and devices are named types of roi_ops::ort, never
// anonymous-namespace ones: GCC gives function-local statics of instantiations over those one
// process-wide (GNU unique) name, which once made the CPU and CUDA registrations share objects.
template <typename Op>
void add_op(Ort::CustomOpDomain& domain) {
  static Op op;
  // The struct layout the runtime may read: that of the API version the library asks for, not
  // of the (newer) headers it was built with.
  op.version = kOrtApiVersion;
  domain.Add(&op);
}

// Adds Shell<Traits, T, Device> for T = float, double and float16; onnxruntime binds them to
// one schema per name.
template <template <typename, typename, typename> class Shell, typename Traits, typename Device>
void add_all_types(Ort::CustomOpDomain& domain) {
  add_op<Shell<Traits, float, Device>>(domain);
  add_op<Shell<Traits, double, Device>>(domain);
  add_op<Shell<Traits, Ort::Float16_t, Device>>(domain);
}

}  // namespace roi_ops::ort
