// The onnxruntime custom-op shell of the multi-map ops, MultiScaleRoIAlign and
// MultiScaleRoIAlignRotated (docs/spec.md): inputs rois, optional batch_indices (an empty name when
// rois carry the index), then the variadic feature maps X_0 ... X_{L-1}, finest first.
#pragma once

#include <vector>

#include "../math/half.h"
#include "element_type.h"
#include "op_error.h"
#include "op_shell.h"
#include "ort_api.h"
#include "validation.h"

namespace roi_ops::ort {

template <typename Traits, typename T, typename Device>
class MultiScaleKernel : public KernelShell<MultiScaleKernel<Traits, T, Device>, Traits> {
 public:
  using KernelShell<MultiScaleKernel, Traits>::KernelShell;

 private:
  friend class KernelShell<MultiScaleKernel, Traits>;
  using Cpu = typename ElementType<T>::Cpu;
  using KernelShell<MultiScaleKernel, Traits>::params_;

  void compute(OrtKernelContext* context) const {
    const char* op = Traits::kName;
    Ort::KernelContext ctx(context);
    const size_t inputs = ctx.GetInputCount();
    if (inputs < 3)
      fail(op, "needs inputs rois, batch_indices (or an empty name) and at least one feature map X_0; got ",
           inputs, " inputs");
    const Ort::ConstValue rois = ctx.GetInput(0);
    const Ort::ConstValue batch_indices = ctx.GetInput(1);
    const bool has_bi = static_cast<const OrtValue*>(batch_indices) != nullptr;
    std::vector<Ort::ConstValue> maps;
    std::vector<Shape> map_shapes;
    for (size_t i = 2; i < inputs; ++i) {
      maps.push_back(ctx.GetInput(i));
      map_shapes.push_back(maps.back().GetTensorTypeAndShapeInfo().GetShape());
    }
    const std::vector<math::MapShape> shapes = check_maps(op, map_shapes, params_.spatial_scales.size());

    check_same_type(op, "rois", rois.GetTensorTypeAndShapeInfo().GetElementType(), ElementType<T>::kOnnx, "X_0");
    const Shape rois_shape = rois.GetTensorTypeAndShapeInfo().GetShape();
    Shape bi_shape;
    if (has_bi) bi_shape = batch_indices.GetTensorTypeAndShapeInfo().GetShape();
    RoiInputs in = check_roi_inputs(op, map_shapes[0], rois_shape, has_bi ? &bi_shape : nullptr, Traits::kBoxCols);
    in.x_name = "X_0";

    const Shape y_shape{in.count, in.map.c, params_.output_height, params_.output_width};
    check_output_size(op, y_shape, sizeof(T));
    const Cpu* rois_data = reinterpret_cast<const Cpu*>(rois.GetTensorData<T>());
    const int64_t* bi_data = has_bi ? batch_indices.GetTensorData<int64_t>() : nullptr;
    if constexpr (Device::kHostData) check_batch_index_values(op, in, rois_data, bi_data, math::ReadAsDouble<Cpu>{});

    Ort::UnownedValue y = ctx.GetOutput(0, y_shape);
    if (in.count == 0 || in.map.c == 0) return;
    std::vector<const Cpu*> data;
    for (const Ort::ConstValue& m : maps) data.push_back(reinterpret_cast<const Cpu*>(m.GetTensorData<T>()));
    math::RoiSet<Cpu> set{rois_data, in.count, in.cols, bi_data};
    Device::template run<Traits>(data, shapes, set, params_, reinterpret_cast<Cpu*>(y.GetTensorMutableData<T>()),
                                 Device::exec(context));
  }
};

template <typename Traits, typename T, typename Device>
struct MultiScaleOp : OpShell<MultiScaleOp<Traits, T, Device>, MultiScaleKernel<Traits, T, Device>, Traits, T, Device> {
  ONNXTensorElementDataType GetInputType(size_t i) const {
    // rois is left open so that a type mismatch gets a message naming both inputs (as roi_op.h).
    if (i == 0) return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    return i == 1 ? ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 : ElementType<T>::kOnnx;
  }
  OrtCustomOpInputOutputCharacteristic GetInputCharacteristic(size_t i) const {
    if (i == 0) return INPUT_OUTPUT_REQUIRED;
    return i == 1 ? INPUT_OUTPUT_OPTIONAL : INPUT_OUTPUT_VARIADIC;
  }
  int GetVariadicInputMinArity() const { return 1; }
  bool GetVariadicInputHomogeneity() const { return true; }
};

}  // namespace roi_ops::ort
