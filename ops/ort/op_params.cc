#include "op_params.h"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "attributes.h"
#include "op_error.h"

namespace roi_ops::ort {
namespace {

math::PoolParams pool_params(const AttributeReader& r) {
  math::PoolParams p;
  p.output_height = r.output_side("output_height");
  p.output_width = r.output_side("output_width");
  p.spatial_scale = r.spatial_scale();
  return p;
}

// The size, scale and sampling attributes that RoIAlign and PSRoIAlign share.
math::AlignParams align_params(const AttributeReader& r) {
  math::AlignParams p;
  p.output_height = r.output_side("output_height");
  p.output_width = r.output_side("output_width");
  p.spatial_scale = r.spatial_scale();
  p.sampling_ratio = r.sampling_ratio();
  return p;
}

std::string list(const std::vector<float>& v) {
  std::ostringstream s;
  s << '[';
  for (std::size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << ']';
  return s.str();
}

math::AlignMode align_mode(const char* op, const AttributeReader& r) {
  const std::string mode = r.get_string("mode", "avg");
  if (mode == "avg") return math::AlignMode::kAvg;
  if (mode == "max") return math::AlignMode::kMax;
  if (mode == "onnx_max") return math::AlignMode::kOnnxMax;
  fail(op, "attribute 'mode' must be \"avg\", \"max\" or \"onnx_max\"; got \"", mode, "\"");
}

math::RotatedOptions rotated_options(const AttributeReader& r) {
  math::RotatedOptions o;
  o.aligned = r.flag("aligned", true);
  o.clockwise = r.flag("clockwise", false);
  static const char* const kUnits[] = {"degrees", "radians", nullptr};
  o.radians = r.choice("angle_unit", "degrees", kUnits) == 1;
  return o;
}

// The level attributes that both multi-scale ops share (docs/spec.md, "MultiScaleRoIAlign").
void parse_levels(const char* op, const AttributeReader& r, std::vector<double>* spatial_scales,
                  math::FpnLevels* levels) {
  const std::vector<float> scales = r.get_floats("spatial_scales");
  if (scales.empty())
    fail(op, "attribute 'spatial_scales' is required: one scale per feature map, finest first "
             "(e.g. [0.25, 0.125, 0.0625, 0.03125]); it is missing or empty");
  if (scales.size() > math::kMaxFeatureMaps)
    fail(op, "attribute 'spatial_scales' has ", scales.size(), " scales; ", op, " takes at most ",
         math::kMaxFeatureMaps, " feature maps");
  for (float s : scales)
    if (!std::isfinite(s) || !(s > 0.0f))
      fail(op, "attribute 'spatial_scales' must hold finite scales > 0; got ", list(scales));
  // Map i serves level k_min + i. Levels may be skipped (torchvision accepts maps 'feat1' and
  // 'feat3'; a RoI whose level has no map gets zeros), but they must rise, or the level rule
  // would send RoIs to the wrong map.
  const auto level_of = [](float s) { return static_cast<int64_t>(std::lround(-std::log2(static_cast<double>(s)))); };
  for (std::size_t i = 1; i < scales.size(); ++i)
    if (level_of(scales[i]) <= level_of(scales[i - 1]))
      fail(op, "attribute 'spatial_scales' must list pyramid levels finest first, each coarser than the one "
               "before (e.g. [0.25, 0.125, 0.0625, 0.03125], or [0.25, 0.0625] with a level skipped); got ",
           list(scales));
  spatial_scales->assign(scales.begin(), scales.end());
  levels->k_min = level_of(scales.front());
  levels->k_max = level_of(scales.back());
  const float canonical_scale = r.get_float("canonical_scale", 224.0f);
  if (!std::isfinite(canonical_scale) || !(canonical_scale > 0.0f))
    fail(op, "attribute 'canonical_scale' must be finite and > 0; got ", canonical_scale);
  levels->canonical_scale = canonical_scale;
  levels->canonical_level = r.get_int("canonical_level", 4);
  if (levels->canonical_level < -64 || levels->canonical_level > 64)
    fail(op, "attribute 'canonical_level' must be in [-64, 64]; got ", levels->canonical_level);
  const float eps = r.get_float("eps", 1e-6f);
  if (!std::isfinite(eps) || eps < 0.0f) fail(op, "attribute 'eps' must be finite and >= 0; got ", eps);
  levels->eps = eps;
  levels->eps_in_log = r.flag("eps_in_log", false);
  const float factor = r.get_float("roi_scale_factor", 1.0f);
  if (!std::isfinite(factor) || !(factor > 0.0f))
    fail(op, "attribute 'roi_scale_factor' must be finite and > 0; got ", factor);
  levels->roi_scale_factor = factor;
}

}  // namespace

math::AlignParams parse_roi_align(const OrtKernelInfo* info) {
  AttributeReader r("RoIAlign", info);
  math::AlignParams p = align_params(r);
  p.aligned = r.flag("aligned", false);
  p.mode = align_mode("RoIAlign", r);
  return p;
}

math::PoolParams parse_roi_pool(const OrtKernelInfo* info) { return pool_params(AttributeReader("RoIPool", info)); }

math::AlignParams parse_ps_roi_align(const OrtKernelInfo* info) {
  math::AlignParams p = align_params(AttributeReader("PSRoIAlign", info));
  p.aligned = true;  // PSRoIAlign's geometry is always the half-pixel one (math/ps_roi.h)
  return p;
}

math::PoolParams parse_ps_roi_pool(const OrtKernelInfo* info) {
  return pool_params(AttributeReader("PSRoIPool", info));
}

math::RotatedParams parse_roi_align_rotated(const OrtKernelInfo* info) {
  AttributeReader r("RoIAlignRotated", info);
  const math::AlignParams common = align_params(r);
  math::RotatedParams p;
  p.output_height = common.output_height;
  p.output_width = common.output_width;
  p.spatial_scale = common.spatial_scale;
  p.sampling_ratio = common.sampling_ratio;
  p.options = rotated_options(r);
  return p;
}

math::MultiScaleParams parse_multi_scale_roi_align(const OrtKernelInfo* info) {
  const char* op = "MultiScaleRoIAlign";
  AttributeReader r(op, info);
  math::MultiScaleParams p;
  p.output_height = r.output_side("output_height");
  p.output_width = r.output_side("output_width");
  p.sampling_ratio = r.sampling_ratio();
  p.mode = align_mode(op, r);
  p.aligned = r.flag("aligned", false);
  parse_levels(op, r, &p.spatial_scales, &p.levels);
  return p;
}

math::MultiScaleRotatedParams parse_multi_scale_roi_align_rotated(const OrtKernelInfo* info) {
  const char* op = "MultiScaleRoIAlignRotated";
  AttributeReader r(op, info);
  math::MultiScaleRotatedParams p;
  p.output_height = r.output_side("output_height");
  p.output_width = r.output_side("output_width");
  p.sampling_ratio = r.sampling_ratio();
  p.options = rotated_options(r);
  parse_levels(op, r, &p.spatial_scales, &p.levels);
  return p;
}

math::CropParams parse_crop_and_resize(const OrtKernelInfo* info) {
  AttributeReader r("CropAndResize", info);
  math::CropParams p;
  p.crop_height = r.required_side("crop_height");
  p.crop_width = r.required_side("crop_width");
  static const char* const kMethods[] = {"bilinear", "nearest", nullptr};
  p.nearest = r.choice("method", "bilinear", kMethods) == 1;
  p.extrapolation_value = r.get_float("extrapolation_value", 0.0f);
  return p;
}

}  // namespace roi_ops::ort
