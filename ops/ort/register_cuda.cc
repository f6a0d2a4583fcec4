// The ops for CUDAExecutionProvider (built only when the library is built with CUDA).
#include "cuda_device.h"
#include "register_ops.h"

namespace roi_ops::ort {

void register_cuda_ops(Ort::CustomOpDomain& domain) { register_ops<OnCuda>(domain); }

}  // namespace roi_ops::ort
