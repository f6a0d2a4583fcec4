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
                     ONNXTensorElementDataType x_type) {
  if (got != x_type)
    fail(op, "input '", input, "' must have the element type of input 'X' (", type_name(x_type), "); got ",
         type_name(got));
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

void fail_batch_index_range(const char* op, bool from_rois, int64_t k, double value, int64_t n) {
  if (from_rois)
    fail(op, "input 'rois'[", k, ",0] (batch index) = ", value, " is outside [0, N) with N = ", n,
         " (from input 'X')");
  fail(op, "input 'batch_indices'[", k, "] = ", static_cast<int64_t>(value), " is outside [0, N) with N = ", n,
       " (from input 'X')");
}

void fail_batch_index_integer(const char* op, int64_t k, double value) {
  fail(op, "input 'rois'[", k, ",0] (batch index) = ", value, " is not an integer");
}

}  // namespace roi_ops::ort
