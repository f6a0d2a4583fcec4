#include "attributes.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "op_error.h"

namespace roi_ops::ort {
namespace {

// onnxruntime reports a missing attribute and one of another type through the same failing
// call, so presence is told apart by also trying the other scalar kinds.
bool has_int(const OrtKernelInfo* info, const char* name, int64_t* out) {
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_int64(info, name, out);
  if (st == nullptr) return true;
  Ort::GetApi().ReleaseStatus(st);
  return false;
}

bool has_float(const OrtKernelInfo* info, const char* name, float* out) {
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_float(info, name, out);
  if (st == nullptr) return true;
  Ort::GetApi().ReleaseStatus(st);
  return false;
}

bool has_string(const OrtKernelInfo* info, const char* name, std::string* out) {
  size_t size = 0;
  OrtStatus* st = Ort::GetApi().KernelInfoGetAttribute_string(info, name, nullptr, &size);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return false;
  }
  std::vector<char> buf(size + 1, '\0');
  st = Ort::GetApi().KernelInfoGetAttribute_string(info, name, buf.data(), &size);
  if (st != nullptr) {
    Ort::GetApi().ReleaseStatus(st);
    return false;
  }
  if (out) *out = std::string(buf.data());
  return true;
}

}  // namespace

void AttributeReader::wrong_type(const char* name, const char* expected) const {
  fail(op_, "attribute '", name, "' must be ", expected, "; got an attribute of another type");
}

int64_t AttributeReader::get_int(const char* name, int64_t fallback) const {
  int64_t v;
  if (has_int(info_, name, &v)) return v;
  float f;
  if (has_float(info_, name, &f) || has_string(info_, name, nullptr)) wrong_type(name, "an int");
  return fallback;
}

float AttributeReader::get_float(const char* name, float fallback) const {
  float v;
  if (has_float(info_, name, &v)) return v;
  int64_t i;
  if (has_int(info_, name, &i) || has_string(info_, name, nullptr)) wrong_type(name, "a float");
  return fallback;
}

std::string AttributeReader::get_string(const char* name, const std::string& fallback) const {
  std::string v;
  if (has_string(info_, name, &v)) return v;
  int64_t i;
  float f;
  if (has_int(info_, name, &i) || has_float(info_, name, &f)) wrong_type(name, "a string");
  return fallback;
}

int64_t AttributeReader::output_side(const char* name) const {
  const int64_t v = get_int(name, 1);
  if (v < 1 || v > kMaxOutputSide)
    fail(op_, "attribute '", name, "' must be in [1, ", kMaxOutputSide, "]; got ", v);
  return v;
}

double AttributeReader::spatial_scale() const {
  const float v = get_float("spatial_scale", 1.0f);
  if (!std::isfinite(v) || !(v > 0.0f)) fail(op_, "attribute 'spatial_scale' must be finite and > 0; got ", v);
  return v;
}

int64_t AttributeReader::sampling_ratio() const {
  const int64_t v = get_int("sampling_ratio", 0);
  if (v < 0 || v > kMaxSamplingRatio)
    fail(op_, "attribute 'sampling_ratio' must be in [0, ", kMaxSamplingRatio, "] (0 = adaptive); got ", v);
  return v;
}

std::vector<float> AttributeReader::get_floats(const char* name) const {
  const OrtApi& api = Ort::GetApi();
  size_t size = 0;
  OrtStatus* st = api.KernelInfoGetAttributeArray_float(info_, name, nullptr, &size);
  const bool floats = st == nullptr;
  if (st != nullptr) api.ReleaseStatus(st);
  if (!floats || size == 0) {
    // onnxruntime reads a list of ints as an empty list of floats, so an empty answer also
    // probes for ints (and for scalars) to report the wrong type.
    size_t ints = 0;
    st = api.KernelInfoGetAttributeArray_int64(info_, name, nullptr, &ints);
    const bool int_list = st == nullptr && ints > 0;
    if (st != nullptr) api.ReleaseStatus(st);
    if (int_list || has(name)) wrong_type(name, "a list of floats");
    return {};
  }
  std::vector<float> v(size);
  Ort::ThrowOnError(api.KernelInfoGetAttributeArray_float(info_, name, v.data(), &size));
  return v;
}

bool AttributeReader::has(const char* name) const {
  int64_t i;
  float f;
  return has_int(info_, name, &i) || has_float(info_, name, &f) || has_string(info_, name, nullptr);
}

int64_t AttributeReader::required_side(const char* name) const {
  int64_t i;
  float f;
  if (!has_int(info_, name, &i) && !has_float(info_, name, &f) && !has_string(info_, name, nullptr))
    fail(op_, "attribute '", name, "' is required (an int in [1, ", kMaxOutputSide, "]); it is missing");
  return output_side(name);
}

int AttributeReader::choice(const char* name, const char* fallback, const char* const* choices) const {
  const std::string v = get_string(name, fallback);
  std::ostringstream list;
  for (int i = 0; choices[i] != nullptr; ++i) {
    if (v == choices[i]) return i;
    list << (i ? ", " : "") << '"' << choices[i] << '"';
  }
  fail(op_, "attribute '", name, "' must be one of ", list.str(), "; got \"", v, "\"");
}

bool AttributeReader::flag(const char* name, bool fallback) const {
  const int64_t v = get_int(name, fallback ? 1 : 0);
  if (v != 0 && v != 1) fail(op_, "attribute '", name, "' must be 0 or 1; got ", v);
  return v == 1;
}

}  // namespace roi_ops::ort
