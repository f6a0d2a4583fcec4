// The onnxruntime custom-op shell of CropAndResize (docs/spec.md, "CropAndResize"): inputs X, boxes
// [K,4] (normalised y1, x1, y2, x2) and box_indices [K] (int32 or int64).
#pragma once

#include <vector>

#include "element_type.h"
#include "op_error.h"
#include "op_shell.h"
#include "ort_api.h"
#include "validation.h"

namespace roi_ops::ort {

template <typename Traits, typename T, typename Device>
class CropAndResizeKernel : public KernelShell<CropAndResizeKernel<Traits, T, Device>, Traits> {
 public:
  using KernelShell<CropAndResizeKernel, Traits>::KernelShell;

 private:
  friend class KernelShell<CropAndResizeKernel, Traits>;
  using Cpu = typename ElementType<T>::Cpu;
  using KernelShell<CropAndResizeKernel, Traits>::params_;

  void compute(OrtKernelContext* context) const {
    const char* op = Traits::kName;
    Ort::KernelContext ctx(context);
    const Ort::ConstValue x = ctx.GetInput(0);
    const Ort::ConstValue boxes = ctx.GetInput(1);
    const Ort::ConstValue box_indices = ctx.GetInput(2);
    check_same_type(op, "boxes", boxes.GetTensorTypeAndShapeInfo().GetElementType(), ElementType<T>::kOnnx);
    const auto bi_info = box_indices.GetTensorTypeAndShapeInfo();
    int64_t count = 0;
    const math::MapShape map = check_crop_inputs(op, x.GetTensorTypeAndShapeInfo().GetShape(),
                                                boxes.GetTensorTypeAndShapeInfo().GetShape(), bi_info.GetShape(),
                                                &count);
    const Shape y_shape{count, map.c, params_.crop_height, params_.crop_width};
    check_output_size(op, y_shape, sizeof(T));
    const ONNXTensorElementDataType index_type = bi_info.GetElementType();
    const void* index_data = box_indices.GetTensorRawData();
    std::vector<int64_t> host_indices;
    // The host reads and checks the indices into int64; the device takes them as stored and
    // handles their values in the kernel (cuda/device_common.cuh).
    if constexpr (Device::kHostData)
      host_indices = read_box_indices(op, index_data, index_type, count, map.n);
    else
      check_box_index_type(op, index_type);
    Ort::UnownedValue y = ctx.GetOutput(0, y_shape);
    if (count == 0 || map.c == 0) return;
    const Cpu* x_data = reinterpret_cast<const Cpu*>(x.GetTensorData<T>());
    const Cpu* box_data = reinterpret_cast<const Cpu*>(boxes.GetTensorData<T>());
    Cpu* y_data = reinterpret_cast<Cpu*>(y.GetTensorMutableData<T>());
    if constexpr (Device::kHostData)
      Device::template run<Traits>(x_data, map, box_data, host_indices.data(), count, params_, y_data,
                                   Device::exec(context));
    else if (index_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32)
      Device::template run<Traits>(x_data, map, box_data, static_cast<const int32_t*>(index_data), count, params_,
                                   y_data, Device::exec(context));
    else
      Device::template run<Traits>(x_data, map, box_data, static_cast<const int64_t*>(index_data), count, params_,
                                   y_data, Device::exec(context));
  }
};

template <typename Traits, typename T, typename Device>
struct CropAndResizeOp
    : OpShell<CropAndResizeOp<Traits, T, Device>, CropAndResizeKernel<Traits, T, Device>, Traits, T, Device> {
  ONNXTensorElementDataType GetInputType(size_t i) const {
    // boxes and box_indices are checked in the kernel: boxes against X's type with a message
    // naming both, box_indices as int32 or int64 (TensorFlow's two index types).
    return i == 0 ? ElementType<T>::kOnnx : ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
};

}  // namespace roi_ops::ort
