#include "lanes.h"

#include <cstdlib>
#include <cstring>

namespace roi_ops::cpu {
namespace {

// ROI_OPS_CPU_LANES=quarters takes the 16-byte form on any CPU, so that the tests run it on the
// AVX2 and AVX-512 machines they have (tests/test_lanes.py).
bool detect_wide_lanes() {
  const char* forced = std::getenv("ROI_OPS_CPU_LANES");
  if (forced != nullptr && std::strcmp(forced, "quarters") == 0) return false;
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

}  // namespace roi_ops::cpu
