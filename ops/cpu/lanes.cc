#include "lanes.h"

#include <cstdlib>
#include <string>

namespace roi_ops::cpu {
namespace {

// ROI_OPS_CPU_LANES=quarters takes the 16-byte form on any CPU, so that the tests run it on the
// AVX2 and AVX-512 machines they have (tests/test_lanes.py).
const char* const kQuarters = "quarters";

// ROI_OPS_CPU_LANES when the library loaded ("" when unset).
std::string read_lanes_setting() {
  const char* value = std::getenv("ROI_OPS_CPU_LANES");
  return value != nullptr ? value : "";
}

const std::string kLanesSetting = read_lanes_setting();

bool detect_wide_lanes() {
  if (kLanesSetting == kQuarters) return false;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ROI_OPS_NO_ISA_CLONES)
  __builtin_cpu_init();  // this runs as a static initializer, maybe before libgcc's own
  return __builtin_cpu_supports("x86-64-v3");  // exactly when an AVX clone (isa.h) runs
#elif defined(__AVX2__)
  return true;
#else
  return false;  // 16-byte SIMD (SSE, NEON) or none
#endif
}

const bool kWideLanes = detect_wide_lanes();

}  // namespace

bool wide_lanes() { return kWideLanes; }

std::string lanes_setting_problem() {
  if (kLanesSetting.empty() || kLanesSetting == kQuarters) return "";
  return "roi_ops: the environment variable ROI_OPS_CPU_LANES is '" + kLanesSetting + "'; the one value it takes is '" +
         kQuarters + "' (16-byte vectors on any CPU): set that or unset it";
}

}  // namespace roi_ops::cpu
