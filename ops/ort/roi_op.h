// The onnxruntime custom-op shell shared by the RoI ops that take (X, rois, [batch_indices]) and
// return Y [K, C_out, output_height, output_width]. An op is described by a Traits struct
// (roi_traits.h): kName, Params, kBoxCols, parse(info) -> Params, output_size(params) -> {oh, ow},
// output_channels(op, params, C) -> C_out, and its launchers run_cpu / run_cuda.
// One op object is registered per element type and device; onnxruntime binds all of them to one
// schema. `Device` (cpu_device.h, cuda_device.h) says where the kernel runs and how it is launched.
#pragma once

#include <array>
#include <vector>

#include "../math/half.h"
#include "element_type.h"
#include "op_error.h"
#include "op_shell.h"
#include "ort_api.h"
#include "validation.h"

namespace roi_ops::ort {

template <typename Traits, typename T, typename Device>
class RoiKernel : public KernelShell<RoiKernel<Traits, T, Device>, Traits> {
 public:
  using KernelShell<RoiKernel, Traits>::KernelShell;

 private:
  friend class KernelShell<RoiKernel, Traits>;
  using Cpu = typename ElementType<T>::Cpu;
  using KernelShell<RoiKernel, Traits>::params_;

  void compute(OrtKernelContext* context) const {
    Ort::KernelContext ctx(context);
    const Ort::ConstValue x = ctx.GetInput(0);
    const Ort::ConstValue rois = ctx.GetInput(1);
    Ort::ConstValue batch_indices{nullptr};
    if (ctx.GetInputCount() > 2) batch_indices = ctx.GetInput(2);
    const bool has_bi = static_cast<const OrtValue*>(batch_indices) != nullptr;

    check_same_type(Traits::kName, "rois", rois.GetTensorTypeAndShapeInfo().GetElementType(), ElementType<T>::kOnnx);
    const Shape x_shape = x.GetTensorTypeAndShapeInfo().GetShape();
    const Shape rois_shape = rois.GetTensorTypeAndShapeInfo().GetShape();
    Shape bi_shape;
    if (has_bi) bi_shape = batch_indices.GetTensorTypeAndShapeInfo().GetShape();
    const RoiInputs in =
        check_roi_inputs(Traits::kName, x_shape, rois_shape, has_bi ? &bi_shape : nullptr, Traits::kBoxCols);

    const auto [oh, ow] = Traits::output_size(params_);
    const int64_t channels = Traits::output_channels(Traits::kName, params_, in.map.c);
    const Shape y_shape{in.count, channels, oh, ow};
    check_output_size(Traits::kName, y_shape, sizeof(T));

    const Cpu* rois_data = reinterpret_cast<const Cpu*>(rois.GetTensorData<T>());
    const int64_t* bi_data = has_bi ? batch_indices.GetTensorData<int64_t>() : nullptr;
    // Only the CPU can read the values here; CUDA kernels handle them on the device.
    if constexpr (Device::kHostData)
      check_batch_index_values(Traits::kName, in, rois_data, bi_data, math::ReadAsDouble<Cpu>{});

    Ort::UnownedValue y = ctx.GetOutput(0, y_shape);
    if (in.count == 0 || channels == 0) return;
    math::RoiSet<Cpu> set{rois_data, in.count, in.cols, bi_data};
    Device::template run<Traits>(reinterpret_cast<const Cpu*>(x.GetTensorData<T>()), in.map, set, params_,
                                 reinterpret_cast<Cpu*>(y.GetTensorMutableData<T>()), Device::exec(context));
  }
};

template <typename Traits, typename T, typename Device>
struct RoiOp : OpShell<RoiOp<Traits, T, Device>, RoiKernel<Traits, T, Device>, Traits, T, Device> {
  ONNXTensorElementDataType GetInputType(size_t i) const {
    // rois is left open so that a rois/X type mismatch reaches check_same_type() and gets a
    // message naming both inputs, instead of onnxruntime's "no kernel def matches".
    if (i == 1) return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    return i == 2 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 : ElementType<T>::kOnnx;
  }
  OrtCustomOpInputOutputCharacteristic GetInputCharacteristic(size_t i) const {
    return i == 2 ? INPUT_OUTPUT_OPTIONAL : INPUT_OUTPUT_REQUIRED;
  }
};

}  // namespace roi_ops::ort
