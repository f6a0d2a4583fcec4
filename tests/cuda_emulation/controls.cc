// CUDA emulation: what the tests set through ctypes besides the harness's own entry point.
#include <cuda_runtime.h>

extern "C" __attribute__((visibility("default"))) void roi_ops_emulation_set_max_grid(unsigned blocks) {
  roi_ops_emulation::max_grid = blocks;
}
