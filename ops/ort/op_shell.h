// What the onnxruntime shells of every op share (roi_op.h, multi_scale_op.h,
// crop_and_resize_op.h). A kernel holds the op's parsed attributes (Traits::parse) and turns what
// its compute() throws into an OrtStatus; an op object creates that kernel and names the op, the
// device it runs on and its one output, of X's element type. Each shell adds its inputs' types and
// its compute().
#pragma once

#include "element_type.h"
#include "op_error.h"
#include "ort_api.h"

namespace roi_ops::ort {

// Base of `Kernel`, which declares `void compute(OrtKernelContext*) const` and this class a friend.
template <typename Kernel, typename Traits>
class KernelShell {
 public:
  explicit KernelShell(const OrtKernelInfo* info) : params_(Traits::parse(info)) {}

  OrtStatusPtr ComputeV2(OrtKernelContext* context) {
    return to_status([&] { static_cast<const Kernel*>(this)->compute(context); });
  }

 protected:
  typename Traits::Params params_;
};

// Base of the op object `Op` that creates `Kernel`s; `Op` adds GetInputType and the inputs'
// characteristics.
template <typename Op, typename Kernel, typename Traits, typename T, typename Device>
struct OpShell : Ort::CustomOpBase<Op, Kernel, true> {
  OrtStatusPtr CreateKernelV2(const OrtApi&, const OrtKernelInfo* info, void** kernel) const {
    return to_status([&] { *kernel = new Kernel(info); });
  }
  const char* GetName() const { return Traits::kName; }
  const char* GetExecutionProviderType() const { return Device::kProvider; }
  size_t GetInputTypeCount() const { return 3; }
  size_t GetOutputTypeCount() const { return 1; }
  ONNXTensorElementDataType GetOutputType(size_t) const { return ElementType<T>::kOnnx; }
};

}  // namespace roi_ops::ort
