# The kernels without onnxruntime, described once for every build that compiles them: the
# package (CMakeLists.txt), the GPU check's harness (tests/gpu) and the CUDA emulation
# (tests/cuda_emulation). `roi_ops_kernels` is an object library of the CPU kernels; the CUDA
# sources are listed for the builds that compile them (as CUDA or, emulated, as C++).
set(ROI_OPS_ROOT ${CMAKE_CURRENT_LIST_DIR}/..)
# Compile options of every roi_ops C++ target (also reported by `roi-ops info`).
set(ROI_OPS_CXX_OPTIONS -Wall -Wextra -fno-math-errno)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC notes that a 32-byte vector (ops/cpu/lanes.h) passed by value changes the ABI in the
  # clones without AVX; those values live in always-inline code and never cross a call.
  list(APPEND ROI_OPS_CXX_OPTIONS -Wno-psabi)
endif()
option(ROI_OPS_NO_AVX512 "Compile the CPU kernels without their AVX-512 clones (ops/cpu/isa.h)" OFF)
set(ROI_OPS_CXX_RELEASE_OPTIONS -O3)
set(ROI_OPS_CUDA_OPTIONS -O3 --expt-relaxed-constexpr)

set(ROI_OPS_CPU_SOURCES)
foreach(name align_rows_first block_plan channel_blocks crop_and_resize_cpu half lanes multi_scale_roi_align_cpu ps_roi_align_cpu
             ps_roi_pool_cpu roi_align_cpu roi_align_rotated_cpu roi_output roi_pool_cpu rows_first_f16c
             stage_f16c)
  list(APPEND ROI_OPS_CPU_SOURCES ${ROI_OPS_ROOT}/ops/cpu/${name}.cc)
endforeach()
set(ROI_OPS_CUDA_SOURCES)
foreach(name align_kernels crop_kernel pool_kernels rotated_kernel)
  list(APPEND ROI_OPS_CUDA_SOURCES ${ROI_OPS_ROOT}/ops/cuda/${name}.cu)
endforeach()

add_library(roi_ops_kernels OBJECT ${ROI_OPS_CPU_SOURCES})
set_target_properties(roi_ops_kernels PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
                      POSITION_INDEPENDENT_CODE ON)
target_compile_options(roi_ops_kernels PRIVATE ${ROI_OPS_CXX_OPTIONS}
                       $<$<CONFIG:Release>:${ROI_OPS_CXX_RELEASE_OPTIONS}>)
if(ROI_OPS_NO_AVX512)
  target_compile_definitions(roi_ops_kernels PRIVATE ROI_OPS_NO_AVX512)
endif()
