// The onnxruntime custom-op shell of CropAndResize (SPEC.md, "CropAndResize"): inputs X, boxes
// [K,4] (normalised y1, x1, y2, x2) and box_indices [K] (int32 or int64).
#pragma once

#include <vector>

#include "../cpu/roi_kernels.h"
#include "cpu_context.h"
#include "element_type.h"
#include "op_error.h"
#include "op_params.h"
#include "ort_api.h"
#include "validation.h"

namespace roi_ops::ort {

constexpr const char* kCropAndResizeName = "CropAndResize";

template <typename T>
class CropAndResizeCpuKernel {
 public:
  explicit CropAndResizeCpuKernel(const OrtKernelInfo* info) : params_(parse_crop_and_resize(info)) {}

  OrtStatusPtr ComputeV2(OrtKernelContext* context) {
    return to_status([&] { compute(context); });
  }

 private:
  using Cpu = typename ElementType<T>::Cpu;

  void compute(OrtKernelContext* context) const {
    const char* op = kCropAndResizeName;
    Ort::KernelContext ctx(context);
    const Ort::ConstValue x = ctx.GetInput(0);
    const Ort::ConstValue boxes = ctx.GetInput(1);
    const Ort::ConstValue box_indices = ctx.GetInput(2);
    check_same_type(op, "boxes", boxes.GetTensorTypeAndShapeInfo().GetElementType(), ElementType<T>::kOnnx);
    const auto bi_info = box_indices.GetTensorTypeAndShapeInfo();
    int64_t count = 0;
    const cpu::MapShape map = check_crop_inputs(op, x.GetTensorTypeAndShapeInfo().GetShape(),
                                                boxes.GetTensorTypeAndShapeInfo().GetShape(), bi_info.GetShape(),
                                                &count);
    const Shape y_shape{count, map.c, params_.crop_height, params_.crop_width};
    check_output_size(op, y_shape, sizeof(T));
    const std::vector<int64_t> indices =
        read_box_indices(op, box_indices.GetTensorRawData(), bi_info.GetElementType(), count, map.n);

    Ort::UnownedValue y = ctx.GetOutput(0, y_shape);
    if (count == 0 || map.c == 0) return;
    cpu::crop_and_resize(reinterpret_cast<const Cpu*>(x.GetTensorData<T>()), map,
                         reinterpret_cast<const Cpu*>(boxes.GetTensorData<T>()), indices.data(), count, params_,
                         reinterpret_cast<Cpu*>(y.GetTensorMutableData<T>()), thread_pool_for(context));
  }

  cpu::CropParams params_;
};

template <typename T>
struct CropAndResizeCpuOp : Ort::CustomOpBase<CropAndResizeCpuOp<T>, CropAndResizeCpuKernel<T>, true> {
  OrtStatusPtr CreateKernelV2(const OrtApi&, const OrtKernelInfo* info, void** kernel) const {
    return to_status([&] { *kernel = new CropAndResizeCpuKernel<T>(info); });
  }
  const char* GetName() const { return kCropAndResizeName; }
  const char* GetExecutionProviderType() const { return "CPUExecutionProvider"; }
  size_t GetInputTypeCount() const { return 3; }
  ONNXTensorElementDataType GetInputType(size_t i) const {
    // boxes and box_indices are checked in the kernel: boxes against X's type with a message
    // naming both, box_indices as int32 or int64 (TensorFlow's two index types).
    return i == 0 ? ElementType<T>::kOnnx : ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
  size_t GetOutputTypeCount() const { return 1; }
  ONNXTensorElementDataType GetOutputType(size_t) const { return ElementType<T>::kOnnx; }
};

}  // namespace roi_ops::ort
