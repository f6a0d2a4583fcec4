#include "validation.h"

#include <sstream>
#include <string>

namespace roi_ops::ort {
namespace {

std::string str(const Shape& s) {
  std::ostringstream o;
  o << '[';
  for (std::size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << ']';
  return o.str();
}

const char* type_name(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "tensor(float)";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "tensor(double)";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "tensor(float16)";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return "tensor(bfloat16)";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "tensor(int64)";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "tensor(int32)";
    default: return "another element type";
  }
}

}  // namespace

void check_same_type(const char* op, const char* input, ONNXTensorElementDataType got,
                     ONNXTensorElementDataType x_type, const char* x_name) {
  if (got != x_type)
    fail(op, "input '", input, "' must have the element type of input '", x_name, "' (", type_name(x_type),
         "); got ", type_name(got));
}

RoiInputs check_roi_inputs(const char* op, const Shape& x, const Shape& rois, const Shape* batch_indices,
                           int64_t box_cols) {
  if (x.size() != 4) fail(op, "input 'X' must be 4-D [N,C,H,W]; got shape ", str(x));
  RoiInputs in;
  in.map = {x[0], x[1], x[2], x[3]};
  const int64_t with_index = box_cols + 1;
  if (rois.size() != 2 || (rois[1] != box_cols && rois[1] != with_index))
    fail(op, "input 'rois' must be 2-D [K,", box_cols, "] (with batch_indices) or [K,", with_index,
         "] (batch index first); got shape ", str(rois));
  in.count = rois[0];
  in.cols = rois[1];
  in.has_batch_indices = batch_indices != nullptr;
  if (in.cols == box_cols && !in.has_batch_indices)
    fail(op, "input 'rois' has shape ", str(rois), " (no batch index column), so input 'batch_indices' [K] is "
             "required; it was omitted");
  if (in.cols == with_index && in.has_batch_indices)
    fail(op, "input 'rois' has shape ", str(rois), " (batch index in column 0), so input 'batch_indices' must be "
             "omitted; got batch_indices of shape ", str(*batch_indices));
  if (in.has_batch_indices) {
    if (batch_indices->size() != 1)
      fail(op, "input 'batch_indices' must be 1-D [K]; got shape ", str(*batch_indices));
    if ((*batch_indices)[0] != in.count)
      fail(op, "input 'batch_indices' has ", (*batch_indices)[0], " entries but input 'rois' has ", in.count,
           " rows; K must match");
  }
  return in;
}

void check_output_size(const char* op, const Shape& output, std::size_t element_bytes) {
  uint64_t bytes = element_bytes;
  bool overflow = false;
  for (int64_t d : output) {
    if (d == 0) return;  // empty outputs are always fine
    overflow = overflow || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes);
  }
  if (overflow || bytes > kMaxOutputBytes)
    fail(op, "output 'Y' of shape ", str(output), " would need ",
         overflow ? std::string("more than 2^64") : std::to_string(bytes), " bytes, over the limit of ",
         kMaxOutputBytes, " bytes");
}

void fail_batch_index_range(const char* op, bool from_rois, int64_t k, double value, int64_t n,
                            const char* x_name) {
  if (from_rois)
    fail(op, "input 'rois'[", k, ",0] (batch index) = ", value, " is outside [0, N) with N = ", n, " (from input '",
         x_name, "')");
  fail(op, "input 'batch_indices'[", k, "] = ", static_cast<int64_t>(value), " is outside [0, N) with N = ", n,
       " (from input '", x_name, "')");
}

int64_t ps_output_channels(const char* op, int64_t c, int64_t output_height, int64_t output_width) {
  const int64_t bins = output_height * output_width;
  if (c % bins != 0)
    fail(op, "input 'X' has C = ", c, " channels, which is not a multiple of output_height * output_width = ",
         bins, "; position-sensitive ops need C = C_out * output_height * output_width");
  return c / bins;
}

std::vector<math::MapShape> check_maps(const char* op, const std::vector<Shape>& maps, std::size_t scales) {
  if (maps.size() != scales)
    fail(op, "attribute 'spatial_scales' has ", scales, " entries but ", maps.size(),
         " feature maps (inputs X_0 ... X_", maps.size() - 1, ") were given; they must match");
  std::vector<math::MapShape> out;
  for (std::size_t i = 0; i < maps.size(); ++i) {
    const Shape& m = maps[i];
    if (m.size() != 4) fail(op, "input 'X_", i, "' must be 4-D [N,C,H,W]; got shape ", str(m));
    out.push_back({m[0], m[1], m[2], m[3]});
    if (m[0] != out[0].n || m[1] != out[0].c)
      fail(op, "input 'X_", i, "' has shape ", str(m), " but input 'X_0' has N = ", out[0].n, " and C = ", out[0].c,
           "; every feature map must have the same N and C");
  }
  return out;
}

math::MapShape check_crop_inputs(const char* op, const Shape& x, const Shape& boxes, const Shape& box_indices,
                                int64_t* count) {
  if (x.size() != 4) fail(op, "input 'X' must be 4-D [N,C,H,W]; got shape ", str(x));
  if (boxes.size() != 2 || boxes[1] != 4)
    fail(op, "input 'boxes' must be 2-D [K,4] (normalised y1, x1, y2, x2); got shape ", str(boxes));
  if (box_indices.size() != 1) fail(op, "input 'box_indices' must be 1-D [K]; got shape ", str(box_indices));
  if (box_indices[0] != boxes[0])
    fail(op, "input 'box_indices' has ", box_indices[0], " entries but input 'boxes' has ", boxes[0],
         " rows; K must match");
  *count = boxes[0];
  return {x[0], x[1], x[2], x[3]};
}

void check_box_index_type(const char* op, ONNXTensorElementDataType type) {
  if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 && type != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64)
    fail(op, "input 'box_indices' must be tensor(int32) or tensor(int64); got ", type_name(type));
}

std::vector<int64_t> read_box_indices(const char* op, const void* data, ONNXTensorElementDataType type,
                                      int64_t count, int64_t n) {
  check_box_index_type(op, type);
  std::vector<int64_t> out(static_cast<std::size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    out[k] = type == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 ? static_cast<const int32_t*>(data)[k]
                                                         : static_cast<const int64_t*>(data)[k];
    if (out[k] < 0 || out[k] >= n)
      fail(op, "input 'box_indices'[", k, "] = ", out[k], " is outside [0, N) with N = ", n, " (from input 'X')");
  }
  return out;
}

void fail_batch_index_integer(const char* op, int64_t k, double value) {
  fail(op, "input 'rois'[", k, ",0] (batch index) = ", value, " is not an integer");
}

}  // namespace roi_ops::ort
