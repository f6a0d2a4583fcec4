// The element types the ops accept and how each maps onto a CPU storage type.
#pragma once

#include "../math/half.h"
#include "ort_api.h"

namespace roi_ops::ort {

template <typename T>
struct ElementType;

template <>
struct ElementType<float> {
  static constexpr ONNXTensorElementDataType kOnnx = ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
  using Cpu = float;
};

template <>
struct ElementType<double> {
  static constexpr ONNXTensorElementDataType kOnnx = ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE;
  using Cpu = double;
};

template <>
struct ElementType<Ort::Float16_t> {
  static constexpr ONNXTensorElementDataType kOnnx = ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
  using Cpu = math::Half;  // same 16-bit layout
};

}  // namespace roi_ops::ort
