// Input validation shared by every execution provider: run once per call, before any kernel,
// so that bad input becomes an onnxruntime error naming the op, the input, what was expected
// and what came (docs/spec.md, "Common rules").
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../math/kernel_args.h"
#include "op_error.h"
#include "ort_api.h"

namespace roi_ops::ort {

using Shape = std::vector<int64_t>;

// Outputs larger than this are refused before anything is allocated.
constexpr uint64_t kMaxOutputBytes = uint64_t{1} << 40;

struct RoiInputs {
  math::MapShape map;
  int64_t count = 0;         // K
  int64_t cols = 5;          // columns of `rois`: box_cols, or box_cols + 1 with the batch index first
  bool has_batch_indices = false;
  const char* x_name = "X";  // the map input that N comes from, for messages
};

// `box_cols` is the number of box coordinates (4 for x1,y1,x2,y2). `batch_indices` is null when
// the optional input is omitted.
RoiInputs check_roi_inputs(const char* op, const Shape& x, const Shape& rois, const Shape* batch_indices,
                           int64_t box_cols);

// Position-sensitive ops: C must be C_out * output_height * output_width; returns C_out.
int64_t ps_output_channels(const char* op, int64_t c, int64_t output_height, int64_t output_width);

// MultiScaleRoIAlign's maps X_0 ... X_{L-1}: 4-D, one per scale, same N and C. Returns their shapes.
std::vector<math::MapShape> check_maps(const char* op, const std::vector<Shape>& maps, std::size_t scales);

// CropAndResize: X [N,C,H,W], boxes [K,4], box_indices [K]. Returns X's shape and K.
math::MapShape check_crop_inputs(const char* op, const Shape& x, const Shape& boxes, const Shape& box_indices,
                                int64_t* count);

// CropAndResize's box_indices must be int32 or int64 (TensorFlow's two index types).
void check_box_index_type(const char* op, ONNXTensorElementDataType type);

// CropAndResize's box_indices are int32 or int64; returns them as int64, each checked to lie in [0, n).
std::vector<int64_t> read_box_indices(const char* op, const void* data, ONNXTensorElementDataType type,
                                      int64_t count, int64_t n);

// `input` must have the element type of the map input `x_name` (X, or X_0 of the multi-scale ops).
void check_same_type(const char* op, const char* input, ONNXTensorElementDataType got,
                     ONNXTensorElementDataType x_type, const char* x_name = "X");

// Refuses outputs whose byte size overflows or exceeds kMaxOutputBytes.
void check_output_size(const char* op, const Shape& output, std::size_t element_bytes);

[[noreturn]] void fail_batch_index_range(const char* op, bool from_rois, int64_t k, double value, int64_t n,
                                         const char* x_name);
[[noreturn]] void fail_batch_index_integer(const char* op, int64_t k, double value);

// Host-side check of batch index values: from `batch_indices` when given, else from column 0 of
// `rois`, which must hold an exact integer. `to_double` reads one stored rois value.
template <typename T, typename ToDouble>
void check_batch_index_values(const char* op, const RoiInputs& in, const T* rois, const int64_t* batch_indices,
                              ToDouble to_double) {
  for (int64_t k = 0; k < in.count; ++k) {
    if (in.has_batch_indices) {
      const int64_t b = batch_indices[k];
      if (b < 0 || b >= in.map.n) fail_batch_index_range(op, false, k, static_cast<double>(b), in.map.n, in.x_name);
    } else {
      const double b = to_double(rois[k * in.cols]);
      // No non-finite value is ever converted to an integer.
      if (!std::isfinite(b) || std::floor(b) != b) fail_batch_index_integer(op, k, b);
      if (!(b >= 0.0 && b < static_cast<double>(in.map.n))) fail_batch_index_range(op, true, k, b, in.map.n, in.x_name);
    }
  }
}

}  // namespace roi_ops::ort
