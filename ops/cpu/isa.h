// Wider vector instructions are chosen at run time, never at build time (no -march=native):
// GCC and Clang compile a function marked ROI_OPS_ISA_CLONES once per listed ISA and pick the
// best one the CPU supports when the library loads. Hot loops live in always-inline templates
// that each clone inlines and vectorises with its own instruction set.
#pragma once

// ROI_OPS_NO_AVX512 (CMake option of the same name) leaves out the AVX-512 clone, so that a test
// run on an AVX-512 machine exercises the AVX2 code (CI's sanitized run does).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ROI_OPS_NO_ISA_CLONES)
#ifdef ROI_OPS_NO_AVX512
#define ROI_OPS_ISA_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ROI_OPS_ISA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#else
#define ROI_OPS_ISA_CLONES
#endif

// The few hand-written AVX-512 paths outside the clones (whole-line non-temporal output stores)
// follow them: chosen at run time, left out under ROI_OPS_NO_AVX512.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ROI_OPS_NO_ISA_CLONES) && \
    !defined(ROI_OPS_NO_AVX512)
#define ROI_OPS_HAVE_AVX512_PATH 1
namespace roi_ops::cpu {
// AVX-512F with its registers enabled by the OS (GCC's and Clang's check reads XCR0 too).
inline bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
}  // namespace roi_ops::cpu
// A function compiled for the AVX-512 clone's ISA, to be called only where cpu_has_avx512().
#define ROI_OPS_AVX512 __attribute__((target("arch=x86-64-v4")))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ROI_OPS_ALWAYS_INLINE inline __attribute__((always_inline))
#define ROI_OPS_LAMBDA_INLINE __attribute__((always_inline))  // after a lambda's parameter list
#else
#define ROI_OPS_ALWAYS_INLINE inline
#define ROI_OPS_LAMBDA_INLINE
#endif

// p, with how it was computed hidden from the optimiser (an empty asm statement that might change
// it), so that pointers derived from one another stay separate registers: a loop can then address
// through each of them with one shared index (align_bins.h, average_bin_blocks).
template <typename P>
ROI_OPS_ALWAYS_INLINE P* opaque_pointer(P* p) {
#if defined(__GNUC__) || defined(__clang__)
  __asm__("" : "+r"(p));
#endif
  return p;
}
