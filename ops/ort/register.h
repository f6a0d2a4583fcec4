// Registration is a list: one function per execution provider adds that provider's ops to the
// `roi_ops` domain; the library's entry point (register.cc) calls each of them.
#pragma once

#include "ort_api.h"

namespace roi_ops::ort {

constexpr const char* kDomain = "roi_ops";

void register_cpu_ops(Ort::CustomOpDomain& domain);
void register_cuda_ops(Ort::CustomOpDomain& domain);  // in CUDA-enabled builds only

// Adds Op<float>, Op<double> and Op<Ort::Float16_t>; onnxruntime binds them to one schema per
// name. The op objects must outlive every session that uses them: they live as long as the library.
template <template <typename> class Op>
void add_all_types(Ort::CustomOpDomain& domain) {
  static Op<float> f32;
  static Op<double> f64;
  static Op<Ort::Float16_t> f16;
  // The struct layout the runtime may read: that of the API version the library asks for, not
  // of the (newer) headers it was built with.
  for (OrtCustomOp* op : {static_cast<OrtCustomOp*>(&f32), static_cast<OrtCustomOp*>(&f64),
                          static_cast<OrtCustomOp*>(&f16)}) {
    op->version = kOrtApiVersion;
    domain.Add(op);
  }
}

}  // namespace roi_ops::ort
